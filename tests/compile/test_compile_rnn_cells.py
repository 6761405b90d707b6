"""Models built on the tree and gated cells (slstm, tree_lstm, peephole LSTM, MGU) train
the same compiled as eager."""
import numpy as np
import pytest
from test_compile_training import run_training

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers

IN, UNITS, CLASSES = 3, 4, 3


class TreeClassifier(tracegrad.Chain):
    """A fixed tree: leaves 0, 1, 2 -> node (0, 1) by NaryTreeLSTM -> root over that node
    and leaf 2 by ChildSumTreeLSTM; an S-LSTM joins the leaves' cells too."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.leaf = L.ChildSumTreeLSTM(IN, UNITS)
            self.pair = L.NaryTreeLSTM(IN, UNITS, n_ary=2)
            self.root = L.ChildSumTreeLSTM(IN, UNITS)
            self.gates = L.Linear(UNITS, 4 * UNITS)
            self.fc = L.Linear(UNITS, CLASSES)

    def forward(self, x):
        leaves = [self.leaf(x[:, k]) for k in range(3)]
        (c0, h0), (c1, h1), (c2, h2) = leaves
        c01, h01 = self.pair(c0, c1, h0, h1, None)
        _, h = self.root(c01, c2, h01, h2, x[:, 0])
        _, hs = F.slstm(c0, c1, self.gates(h0), self.gates(h1))
        return self.fc(h + hs)


class RecurrentClassifier(tracegrad.Chain):
    """Three steps of a peephole LSTM, then three of an MGU over its outputs."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.peephole = L.StatefulPeepholeLSTM(IN, UNITS)
            self.mgu = L.StatefulMGU(UNITS, UNITS)
            self.fc = L.Linear(UNITS, CLASSES)

    def forward(self, x):
        self.peephole.reset_state()
        self.mgu.reset_state()
        for k in range(3):
            h = self.mgu(self.peephole(x[:, k]))
        return self.fc(h)


def batches(dtype, n=4):
    rng = np.random.RandomState(4)
    return [(rng.uniform(-1, 1, (5, 3, IN)).astype(dtype),
             rng.randint(0, CLASSES, 5).astype(np.int32)) for _ in range(n)]


CASES = [
    ('tree-Adam-float64', TreeClassifier, lambda: optimizers.Adam(alpha=0.01), np.float64),
    ('recurrent-MomentumSGD-float32', RecurrentClassifier,
     lambda: optimizers.MomentumSGD(lr=0.1), np.float32),
]


@pytest.mark.parametrize('name,chain_cls,make_opt,dtype', CASES, ids=[c[0] for c in CASES])
def test_training_matches_eager(name, chain_cls, make_opt, dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(chain_cls())
    opt = make_opt().setup(model)
    step = run_training(model, opt, batches(dtype), backend_name)
    assert step.statistics()['eager_calls'] == 0
