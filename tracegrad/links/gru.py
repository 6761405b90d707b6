"""GRU layers: StatelessGRU (state passed in), StatefulGRU and its alias GRU."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Chain
from tracegrad.links.linear import Linear
from tracegrad.variable import Variable


class _GRUBase(Chain):
    """Six linear maps: ``W_r``, ``W_z``, ``W`` from the input and ``U_r``, ``U_z``,
    ``U`` from the state."""

    def __init__(self, in_size, out_size, init=None, inner_init=None, bias_init=None):
        super().__init__()
        with self.init_scope():
            self.W_r = Linear(in_size, out_size, initialW=init, initial_bias=bias_init)
            self.U_r = Linear(out_size, out_size, initialW=inner_init, initial_bias=bias_init)
            self.W_z = Linear(in_size, out_size, initialW=init, initial_bias=bias_init)
            self.U_z = Linear(out_size, out_size, initialW=inner_init, initial_bias=bias_init)
            self.W = Linear(in_size, out_size, initialW=init, initial_bias=bias_init)
            self.U = Linear(out_size, out_size, initialW=inner_init, initial_bias=bias_init)


class StatelessGRU(_GRUBase):
    """A GRU step: ``h_new = l(h, x)`` with

    ``r = sigmoid(W_r x + U_r h)``, ``z = sigmoid(W_z x + U_z h)``,
    ``h_bar = tanh(W x + U (r * h))``, ``h_new = z * h_bar + (1 - z) * h``.

    Args:
        in_size: the input size (None: lazy).
        out_size: the state size.
        init: initializer of ``W_r``, ``W_z``, ``W``.
        inner_init: initializer of ``U_r``, ``U_z``, ``U``.
        bias_init: initializer of the biases (default 0).

    >>> in_size = 10
    >>> out_size = 20
    >>> x = np.zeros((1, in_size), dtype=np.float32)
    >>> h = np.zeros((1, out_size), dtype=np.float32)
    >>> l = L.StatelessGRU(in_size, out_size)
    >>> h_new = l(h, x)
    >>> h_new.shape
    (1, 20)
    >>> l = L.StatelessGRU(None, out_size)
    >>> h_new = l(h, x)
    >>> h_new.shape
    (1, 20)
    """

    def forward(self, h, x):
        r = F.sigmoid(self.W_r(x) + self.U_r(h))
        z = F.sigmoid(self.W_z(x) + self.U_z(h))
        h_bar = F.tanh(self.W(x) + self.U(r * h))
        return z * h_bar + (1 - z) * h


class StatefulGRU(_GRUBase):
    """A GRU that keeps its state ``h`` between calls (see :class:`StatelessGRU`);
    the first step after :meth:`reset_state` starts from ``h = 0``.

    >>> in_size = 10
    >>> out_size = 20
    >>> x = np.zeros((1, in_size), dtype=np.float32)
    >>> l = L.StatefulGRU(in_size, out_size)
    >>> h_new = l(x)
    >>> h_new.shape
    (1, 20)
    >>> init = np.zeros((out_size, in_size), dtype=np.float32)
    >>> inner_init = np.zeros((out_size, out_size), dtype=np.float32)
    >>> bias = np.zeros((1, out_size), dtype=np.float32)
    >>> l = L.StatefulGRU(in_size, out_size, init=init,
    ...     inner_init=inner_init, bias_init=bias)
    >>> h_new = l(x)
    >>> h_new.shape
    (1, 20)
    """

    def __init__(self, in_size, out_size, init=None, inner_init=None, bias_init=0):
        super().__init__(in_size, out_size, init, inner_init, bias_init)
        self.state_size = out_size
        self.reset_state()

    def _move_state(self, device) -> None:
        if self.h is not None:
            self.h.to_device(device)

    def set_state(self, h: Variable) -> None:
        """Set the state."""
        if not isinstance(h, Variable):
            raise TypeError('StatefulGRU.set_state: h must be a Variable')
        h.to_device(self.device)
        self.h = h

    def reset_state(self) -> None:
        """Forget the state."""
        self.h = None

    def forward(self, x):
        z = self.W_z(x)
        h_bar = self.W(x)
        h = self.h
        if h is not None:
            r = F.sigmoid(self.W_r(x) + self.U_r(h))
            z = z + self.U_z(h)
            h_bar = h_bar + self.U(r * h)
        z = F.sigmoid(z)
        h_bar = F.tanh(h_bar)
        self.h = z * h_bar if h is None else z * h_bar + (1 - z) * h
        return self.h


class GRU(StatefulGRU):
    """An alias of :class:`StatefulGRU` that takes exactly one input."""

    def forward(self, *args):
        n_args = len(args)
        if n_args != 1:
            msg = ('Invalid argument. The length of GRU.forward must be 1. '
                   f'But {n_args} is given. ')
            if n_args == 2:
                msg += ('chainer.links.GRU is stateful since Chainer v2; for a stateless GRU '
                        'use StatelessGRU.')
            raise ValueError(msg)
        return super().forward(args[0])
