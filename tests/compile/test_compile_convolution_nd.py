"""Compiled training steps of 1-D and 3-D convolution/pooling models equal eager ones."""
import numpy as np
import pytest
from test_compile_training import run_training

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers

STEPS = 5


class CNN1D(tracegrad.Chain):
    """Convolution1D, max pooling, a transposed convolution, unpooling, average pooling."""

    def __init__(self, n_out=3):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution1D(2, 4, 3, pad=1)
            self.deconv = L.Deconvolution1D(4, 2, 2, stride=2, groups=2)
            self.fc = L.Linear(2 * 3, n_out)

    def forward(self, x):
        h = F.max_pooling_1d(F.relu(self.conv(x)), 2)            # (n, 4, 3)
        h = F.tanh(self.deconv(h))                                # (n, 2, 6)
        h = F.unpooling_1d(h, 2, cover_all=False)                 # (n, 2, 12)
        h = F.average_pooling_1d(h, 3, stride=4, pad=1, pad_value=None)  # (n, 2, 3)
        return self.fc(h)


class CNN3D(tracegrad.Chain):
    """ConvolutionND(3, ...) with stride and dilation, 3-D max and average pooling."""

    def __init__(self, n_out=3):
        super().__init__()
        with self.init_scope():
            self.conv = L.ConvolutionND(3, 2, 4, 2, stride=(1, 2, 1), pad=1, dilate=(1, 1, 2))
            self.fc = L.Linear(4 * 2 * 2 * 3, n_out)

    def forward(self, x):
        h = F.relu(self.conv(x))                                  # (n, 4, 6, 3, 5)
        h = F.max_pooling_3d(h, 2, stride=(2, 1, 2), pad=(0, 1, 0))  # (n, 4, 3, 4, 3)
        return self.fc(F.average_pooling_3d(h, (2, 3, 1), stride=1))  # (n, 4, 2, 2, 3)


def _batches(shape, n=STEPS, seed=3):
    rng = np.random.RandomState(seed)
    return [(rng.randn(*shape), rng.randint(0, 3, shape[0]).astype(np.int32))
            for _ in range(n)]


CASES = [
    ('1d-SGD-float64', CNN1D, (3, 2, 6), lambda: optimizers.SGD(lr=0.1), np.float64),
    ('1d-Adam-float32', CNN1D, (1, 2, 6), lambda: optimizers.Adam(alpha=0.01), np.float32),
    ('3d-SGD-float32', CNN3D, (2, 2, 5, 4, 5), lambda: optimizers.SGD(lr=0.1), np.float32),
    ('3d-MomentumSGD-float64', CNN3D, (1, 2, 5, 4, 5),
     lambda: optimizers.MomentumSGD(lr=0.05), np.float64),
]


@pytest.mark.parametrize('name,chain_cls,shape,make_opt,dtype', CASES,
                         ids=[c[0] for c in CASES])
def test_convolution_nd_training_matches_eager(name, chain_cls, shape, make_opt, dtype,
                                               backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(chain_cls())
    model.predictor(np.zeros(shape, dtype))  # shapes as the comments say
    opt = make_opt().setup(model)
    batches = [(x.astype(dtype), t) for x, t in _batches(shape)]
    step = run_training(model, opt, batches, backend_name)
    assert step.statistics()['eager_calls'] == 0
