import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 5), (7, 2)],
    'margin': [0.2, 1.5],
    'dtype': [np.float32, np.float64],
    'reduce': ['mean', 'no'],
}))
class TestTriplet(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        while True:  # keep each triplet's hinge away from its kink at 0
            a, p, n = (np.random.uniform(-1, 1, self.shape) for _ in range(3))
            h = ((a - p) ** 2 - (a - n) ** 2).sum(axis=1) + self.margin
            if np.abs(h).min() > 0.1:
                return a.astype(self.dtype), p.astype(self.dtype), n.astype(self.dtype)

    def forward(self, inputs, device):
        return F.triplet(*inputs, margin=self.margin, reduce=self.reduce),

    def forward_expected(self, inputs):
        a, p, n = (v.astype(np.float64) for v in inputs)
        loss = np.maximum(((a - p) ** 2).sum(1) - ((a - n) ** 2).sum(1) + self.margin, 0)
        return np.asarray(loss.mean() if self.reduce == 'mean' else loss, dtype=self.dtype),


@pytest.mark.parametrize('margin', [0, -0.5])
def test_bad_margin_raises(margin):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match='triplet.*margin'):
        F.triplet(x, x, x, margin=margin)


def test_bad_reduce_raises():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match='triplet.*reduce'):
        F.triplet(x, x, x, reduce='sum')


@pytest.mark.parametrize('a, p, n, match', [
    (np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32), np.zeros((2, 3), np.float32),
     'anchor.shape == positive.shape'),
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float64),
     'anchor.dtype == negative.dtype'),
    (np.zeros((2, 3), np.int32), np.zeros((2, 3), np.int32), np.zeros((2, 3), np.int32),
     "anchor.dtype.kind == 'f'"),
    (np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32),
     r'anchor.shape\[0\] > 0'),
    (np.zeros(3, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32),
     'anchor.ndim == 2'),
])
def test_bad_inputs_raise(a, p, n, match):
    with pytest.raises(InvalidType, match=f'(?s)triplet.*{match}'):
        F.triplet(a, p, n)
