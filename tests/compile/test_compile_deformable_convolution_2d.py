"""Compiled training steps of a deformable-convolution model equal eager ones."""
import numpy as np
import pytest
from test_compile_training import run_training

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import initializers, optimizers

STEPS = 5


class DeformNet(tracegrad.Chain):
    """L.DeformableConvolution2D (offsets predicted from the input), then a strided one."""

    def __init__(self, n_out=3):
        super().__init__()
        with self.init_scope():
            self.deform = L.DeformableConvolution2D(
                2, 3, 3, pad=1, deform_initialW=initializers.Normal(0.5),
                offset_initialW=initializers.Normal(0.3))
            self.deform2 = L.DeformableConvolution2D(
                3, 2, (2, 3), stride=(2, 1), deform_nobias=True,
                deform_initialW=initializers.Normal(0.5))
            self.fc = L.Linear(2 * 2 * 3, n_out)

    def forward(self, x):
        h = F.relu(self.deform(x))           # (n, 3, 5, 5)
        return self.fc(F.tanh(self.deform2(h)))  # (n, 2, 2, 3)


CASES = [
    ('SGD-float64', lambda: optimizers.SGD(lr=0.1), np.float64),
    ('Adam-float32', lambda: optimizers.Adam(alpha=0.01), np.float32),
]


@pytest.mark.parametrize('name,make_opt,dtype', CASES, ids=[c[0] for c in CASES])
def test_deformable_convolution_training_matches_eager(name, make_opt, dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(DeformNet())
    opt = make_opt().setup(model)
    rng = np.random.RandomState(3)
    batches = [(rng.randn(2, 2, 5, 5).astype(dtype), rng.randint(0, 3, 2).astype(np.int32))
               for _ in range(STEPS)]
    step = run_training(model, opt, batches, backend_name)
    assert step.statistics()['eager_calls'] == 0
