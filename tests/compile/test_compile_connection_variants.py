"""Compiled training steps through the convolution variants, shift, im2col, spatial
pyramid pooling and the bilinear layer equal eager ones (each traces: no eager calls)."""
import numpy as np
import pytest
from test_compile_training import run_training

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers

STEPS = 4


class Variants(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.mlpconv = L.MLPConvolution2D(2, (4, 4), 1)
            self.depthwise = L.DepthwiseConvolution2D(4, 2, 3, pad=1)
            self.dilated = L.DilatedConvolution2D(8, 9, 3, pad=2, dilate=2)
            self.local = L.LocalConvolution2D(9, 3, (6, 6), 3)
            self.bilinear = L.Bilinear(45, 48, 3)
            self.fc = L.Linear(3, 3)

    def forward(self, x):
        n = x.shape[0]
        h = self.mlpconv(x)                                     # (n, 4, 6, 6)
        h = F.relu(self.depthwise(h))                           # (n, 8, 6, 6)
        h = F.shift(F.relu(self.dilated(h)))                    # (n, 9, 6, 6)
        pyramid = F.spatial_pyramid_pooling_2d(h, 2, 'max')     # (n, 45, 1, 1)
        patches = F.im2col(F.tanh(self.local(h)), 2, stride=2)  # (n, 12, 2, 2)
        y = self.bilinear(F.reshape(pyramid, (n, 45)), F.reshape(patches, (n, 48)))
        return self.fc(F.relu(y))


CASES = [
    ('SGD-float64', (3, 2, 6, 6), lambda: optimizers.SGD(lr=0.05), np.float64),
    ('Adam-float32', (1, 2, 6, 6), lambda: optimizers.Adam(alpha=0.01), np.float32),
]


@pytest.mark.parametrize('name,shape,make_opt,dtype', CASES, ids=[c[0] for c in CASES])
def test_connection_variants_training_matches_eager(name, shape, make_opt, dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(Variants())
    opt = make_opt().setup(model)
    rng = np.random.RandomState(3)
    batches = [(rng.randn(*shape).astype(dtype), rng.randint(0, 3, shape[0]).astype(np.int32))
               for _ in range(STEPS)]
    step = run_training(model, opt, batches, backend_name)
    assert step.statistics()['eager_calls'] == 0
