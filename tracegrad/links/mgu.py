"""Minimal gated units: StatelessMGU (state passed in) and StatefulMGU."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.configuration import config
from tracegrad.link import Chain
from tracegrad.links.linear import Linear
from tracegrad.variable import Variable


class _MGUBase(Chain):
    """The two maps of an MGU, each from ``[h, x]``: ``W_f`` (the forget gate) and
    ``W_h`` (the candidate state)."""

    def __init__(self, n_inputs, n_units):
        super().__init__()
        with self.init_scope():
            self.W_f = Linear(n_inputs + n_units, n_units)
            self.W_h = Linear(n_inputs + n_units, n_units)

    def _step(self, h, x):
        f = F.sigmoid(self.W_f(F.concat([h, x])))
        h_bar = F.tanh(self.W_h(F.concat([f * h, x])))
        return f * h_bar + (1 - f) * h


class StatelessMGU(_MGUBase):
    """One step of a minimal gated unit: ``h_new = l(h, x)`` with

    ``f = sigmoid(W_f [h; x])``, ``h_bar = tanh(W_h [f * h; x])``,
    ``h_new = f * h_bar + (1 - f) * h``.

    Args:
        n_inputs (int): the input size.
        n_units (int): the state size.

    See `Minimal Gated Unit for Recurrent Neural Networks
    <https://arxiv.org/abs/1603.09420>`_.

    >>> l = L.StatelessMGU(3, 4)
    >>> l(np.zeros((2, 4), np.float32), np.ones((2, 3), np.float32)).shape
    (2, 4)
    """

    def forward(self, h, x):
        """Return the new state from the state ``h`` and the input ``x``."""
        return self._step(h, x)


class StatefulMGU(_MGUBase):
    """A minimal gated unit that keeps its state ``h`` between calls (see
    :class:`StatelessMGU`); after :meth:`reset_state` it starts from zeros of
    ``config.dtype``.

    Args:
        in_size (int): the input size.
        out_size (int): the state size.

    >>> l = L.StatefulMGU(3, 4)
    >>> l(np.ones((2, 3), np.float32)).shape
    (2, 4)
    """

    def __init__(self, in_size, out_size):
        super().__init__(in_size, out_size)
        self._state_size = out_size
        self.reset_state()

    def _move_state(self, device) -> None:
        if self.h is not None:
            self.h.to_device(device)

    def set_state(self, h: Variable) -> None:
        """Set the state ``h`` (moved to this link's device)."""
        if not isinstance(h, Variable):
            raise TypeError('StatefulMGU.set_state: h must be a Variable')
        h.to_device(self.device)
        self.h = h

    def reset_state(self) -> None:
        """Forget the state."""
        self.h = None

    def forward(self, x):
        """Advance one step with input ``x`` and return the new state."""
        h = self.h
        if h is None:
            h = Variable(self.xp.zeros((x.shape[0], self._state_size), dtype=config.dtype))
        self.h = self._step(h, x)
        return self.h
