"""Highway: a gated residual fully-connected layer (Srivastava et al. 2015)."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Chain
from tracegrad.links.linear import Linear


class Highway(Chain):
    """``y = h(x W_h + b_h) * t + x * (1 - t)`` with the gate ``t = sigmoid(x W_t + b_t)``.

    Args:
        in_out_size: the input and output size.
        nobias: if True, neither linear map has a bias.
        activate: the activation ``h`` (default ``F.relu``).
        init_Wh, init_bh: initializers of the plain map (``plain``).
        init_Wt, init_bt: initializers of the gate map (``transform``); the gate's
            bias starts at -1 so the layer starts close to the identity.
    """

    def __init__(self, in_out_size, nobias=False, activate=F.relu, init_Wh=None, init_Wt=None,
                 init_bh=None, init_bt=-1):
        super().__init__()
        self.activate = activate
        with self.init_scope():
            self.plain = Linear(in_out_size, in_out_size, nobias=nobias, initialW=init_Wh,
                                initial_bias=init_bh)
            self.transform = Linear(in_out_size, in_out_size, nobias=nobias, initialW=init_Wt,
                                    initial_bias=init_bt)

    def forward(self, x):
        out_plain = self.activate(self.plain(x))
        gate = F.sigmoid(self.transform(x))
        return out_plain * gate + x * (1 - gate)
