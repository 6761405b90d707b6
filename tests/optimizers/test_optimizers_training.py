"""Every optimizer trains a two-layer Chain on a toy regression problem."""
import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers


class MLP(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(2, 16)
            self.l2 = L.Linear(16, 1)

    def forward(self, x):
        return self.l2(F.tanh(self.l1(x)))


def _data():
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (64, 2)).astype(np.float32)
    t = (np.sin(2 * x[:, :1]) * x[:, 1:]).astype(np.float32)
    return x, t  # the variance of t (the loss of predicting its mean) is about 0.19


# (optimizer, its arguments, the loss it must reach in 200 full-batch steps)
CASES = [
    (optimizers.SGD, {'lr': 0.5}, 0.1),
    (optimizers.MomentumSGD, {'lr': 0.1}, 0.005),
    (optimizers.NesterovAG, {'lr': 0.1}, 0.005),
    (optimizers.CorrectedMomentumSGD, {'lr': 0.1}, 0.005),
    (optimizers.AdaGrad, {'lr': 0.1}, 0.005),
    (optimizers.AdaDelta, {}, 0.02),
    (optimizers.RMSprop, {'lr': 0.01}, 0.005),
    (optimizers.RMSpropGraves, {'lr': 1e-3}, 0.005),
    (optimizers.Adam, {'alpha': 0.02}, 0.005),
    (optimizers.AdamW, {'alpha': 0.02, 'weight_decay_rate': 1e-4}, 0.005),
    (optimizers.AMSGrad, {'alpha': 0.02}, 0.005),
    (optimizers.AdaBound, {'alpha': 0.02, 'final_lr': 0.5}, 0.005),
    (optimizers.AMSBound, {'alpha': 0.02, 'final_lr': 0.5}, 0.005),
    (optimizers.SMORMS3, {'lr': 0.02}, 0.005),
]


@pytest.mark.parametrize('cls, kwargs, target', CASES, ids=[c[0].__name__ for c in CASES])
def test_two_layer_chain_reaches_loss(cls, kwargs, target):
    x, t = _data()
    np.random.seed(0)
    model = MLP()
    opt = cls(**kwargs).setup(model)

    def lossfun():
        return F.mean_squared_error(model(x), t)

    initial = float(lossfun().array)
    for _ in range(200):
        opt.update(lossfun)
    final = float(lossfun().array)
    assert initial > 0.2
    assert final < target, f'{cls.__name__}: loss {initial:.4f} -> {final:.4f}'
    assert all(p.array.dtype == np.float32 for p in model.params())
    assert opt.t == 200
