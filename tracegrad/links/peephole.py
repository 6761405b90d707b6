"""StatefulPeepholeLSTM: an LSTM whose gates also look at the cell state."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Chain
from tracegrad.links.linear import Linear
from tracegrad.variable import Variable


class StatefulPeepholeLSTM(Chain):
    """A fully-connected LSTM with peephole connections that keeps ``c`` and ``h``.

    With ``upward x + lateral h`` split into the gates ``a``, ``i``, ``f``, ``o``
    (interleaved unit by unit, as in :func:`~tracegrad.functions.lstm`):

    .. math::

        a &= \\tanh(a), \\quad i = \\sigma(i + W_{pi} c), \\quad
             f = \\sigma(f + W_{pf} c), \\\\
        c' &= a i + f c, \\quad o = \\sigma(o + W_{po} c'), \\quad h' = o \\tanh(c').

    The first step after :meth:`reset_state` has no lateral term and ``c = 0``.

    Args:
        in_size (int or None): the input size (None: from the first input).
        out_size (int): the state size.

    Attributes:
        upward, lateral, peep_i, peep_f, peep_o (~tracegrad.links.Linear): the
            input, recurrent and peephole maps (only ``upward`` has a bias).
        c, h (~tracegrad.Variable or None): the cell state and the last output.

    >>> l = L.StatefulPeepholeLSTM(3, 4)
    >>> h = l(np.zeros((2, 3), np.float32))
    >>> h.shape, l.c.shape
    ((2, 4), (2, 4))
    """

    def __init__(self, in_size, out_size):
        super().__init__()
        self.state_size = out_size
        self.reset_state()
        with self.init_scope():
            self.upward = Linear(in_size, 4 * out_size)
            self.lateral = Linear(out_size, 4 * out_size, nobias=True)
            self.peep_i = Linear(out_size, out_size, nobias=True)
            self.peep_f = Linear(out_size, out_size, nobias=True)
            self.peep_o = Linear(out_size, out_size, nobias=True)

    def _move_state(self, device) -> None:
        for state in (self.c, self.h):
            if state is not None:
                state.to_device(device)

    def reset_state(self) -> None:
        """Forget ``c`` and ``h`` (the next call starts from zeros)."""
        self.c = self.h = None

    def forward(self, x):
        """Advance one step with input ``x`` and return the new output ``h``."""
        lstm_in = self.upward(x)
        if self.h is not None:
            lstm_in = lstm_in + self.lateral(self.h)
        if self.c is None:
            self.c = Variable(self.xp.zeros((x.shape[0], self.state_size), dtype=x.dtype))
        gates = F.reshape(lstm_in, (lstm_in.shape[0], self.state_size, 4))
        a, i, f, o = F.separate(gates, axis=2)
        i = F.sigmoid(i + self.peep_i(self.c))
        f = F.sigmoid(f + self.peep_f(self.c))
        self.c = F.tanh(a) * i + f * self.c
        o = F.sigmoid(o + self.peep_o(self.c))
        self.h = o * F.tanh(self.c)
        return self.h
