"""StatefulZoneoutLSTM: an LSTM whose cell and output are regularized by zoneout."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Chain
from tracegrad.links.linear import Linear
from tracegrad.variable import Variable


class StatefulZoneoutLSTM(Chain):
    """A stateful LSTM where, in training, each unit keeps its previous cell value
    with probability ``c_ratio`` and its previous output with probability ``h_ratio``.

    The gate pre-activations are laid out as for :class:`LSTM`: unit ``j`` of gate
    ``k`` (a, i, f, o) is column ``4 * j + k`` of ``upward(x) + lateral(h)``.
    Outside training it is a plain LSTM step.

    Args:
        in_size (int): the input size.
        out_size (int): the output (state) size.
        c_ratio (float): zoneout ratio of the cell.
        h_ratio (float): zoneout ratio of the output.

    See Krueger et al., https://arxiv.org/abs/1606.01305.

    >>> l = L.StatefulZoneoutLSTM(3, 4)
    >>> l(np.ones((2, 3), np.float32)).shape
    (2, 4)
    """

    def __init__(self, in_size, out_size, c_ratio=0.5, h_ratio=0.5, **kwargs):
        if kwargs:
            if 'train' in kwargs:
                raise ValueError('StatefulZoneoutLSTM: the train argument is not supported '
                                 "anymore; use tracegrad.using_config('train', ...)")
            raise TypeError(f'StatefulZoneoutLSTM() got unexpected keyword argument(s) '
                            f'{", ".join(sorted(kwargs))}')
        super().__init__()
        self.state_size = out_size
        self.c_ratio = c_ratio
        self.h_ratio = h_ratio
        self.reset_state()
        with self.init_scope():
            self.upward = Linear(in_size, 4 * out_size)
            self.lateral = Linear(out_size, 4 * out_size, nobias=True)

    def _move_state(self, device) -> None:
        for state in (self.c, self.h):
            if state is not None:
                state.to_device(device)

    def set_state(self, c: Variable, h: Variable) -> None:
        """Set the cell ``c`` and previous output ``h``."""
        if not isinstance(c, Variable) or not isinstance(h, Variable):
            raise TypeError('StatefulZoneoutLSTM.set_state: c and h must be Variables')
        c.to_device(self.device)
        h.to_device(self.device)
        self.c = c
        self.h = h

    def reset_state(self) -> None:
        """Forget the state (the next call starts from zeros)."""
        self.c = self.h = None

    def forward(self, x):
        """Advance one step with input ``x`` and return the new output ``h``."""
        batch = len(x)
        lstm_in = self.upward(x)
        zeros = self.xp.zeros((batch, self.state_size), dtype=x.dtype)
        if self.h is None:
            self.h = Variable(zeros)
        else:
            lstm_in = lstm_in + self.lateral(self.h)
        if self.c is None:
            self.c = Variable(zeros.copy())
        gates = F.reshape(lstm_in, (batch, self.state_size, 4))
        a, i, f, o = (F.reshape(g, (batch, self.state_size))
                      for g in F.split_axis(gates, 4, axis=2))
        c_new = F.tanh(a) * F.sigmoid(i) + F.sigmoid(f) * self.c
        h_new = F.sigmoid(o) * F.tanh(c_new)
        self.c = F.zoneout(self.c, c_new, self.c_ratio)
        self.h = F.zoneout(self.h, h_new, self.h_ratio)
        return self.h
