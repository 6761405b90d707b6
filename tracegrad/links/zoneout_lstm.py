"""StatefulZoneoutLSTM: an LSTM whose cell and output are regularized by zoneout."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Chain
from tracegrad.links.linear import Linear
from tracegrad.links.lstm import CellAndOutputState
from tracegrad.variable import Variable


class StatefulZoneoutLSTM(CellAndOutputState, Chain):
    """A stateful LSTM where, in training, each unit keeps its previous cell value
    with probability ``c_ratio`` and its previous output with probability ``h_ratio``.

    The gate pre-activations ``upward(x) + lateral(h)`` go through :func:`F.lstm`
    (unit ``j`` of gate ``k`` (a, i, f, o) is column ``4 * j + k``).
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

    def forward(self, x):
        """Advance one step with input ``x`` and return the new output ``h``."""
        lstm_in = self.upward(x)
        if self.h is None:
            self.h = Variable(self.xp.zeros((len(x), self.state_size), dtype=x.dtype))
        else:
            lstm_in = lstm_in + self.lateral(self.h)
        if self.c is None:
            self.c = Variable(self.xp.zeros((len(x), self.state_size), dtype=x.dtype))
        # the output is computed from the new cell before zoneout, as in Chainer
        c_new, h_new = F.lstm(self.c, lstm_in)
        self.c = F.zoneout(self.c, c_new, self.c_ratio)
        self.h = F.zoneout(self.h, h_new, self.h_ratio)
        return self.h
