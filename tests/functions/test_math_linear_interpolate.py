"""linear_interpolate: p * x + (1 - p) * y."""
import numpy as np
import pytest

from tracegrad import functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3,), (1, 5), (3, 2, 5), ()],
    'dtype': [np.float32, np.float64],
}))
class TestLinearInterpolate(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        p = np.random.uniform(0, 1, self.shape).astype(self.dtype)
        x = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        y = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        return p, x, y

    def forward(self, inputs, device):
        return F.linear_interpolate(*inputs),

    def forward_expected(self, inputs):
        p, x, y = inputs
        return np.asarray(p * x + (1 - p) * y, dtype=self.dtype),


def test_linear_interpolate_ends():
    x = np.array([1., 2.], np.float32)
    y = np.array([5., 7.], np.float32)
    np.testing.assert_array_equal(F.linear_interpolate(np.ones(2, np.float32), x, y).array, x)
    np.testing.assert_array_equal(F.linear_interpolate(np.zeros(2, np.float32), x, y).array, y)


def test_linear_interpolate_errors():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'(?s)LinearInterpolate.*x.shape == p.shape'):
        F.linear_interpolate(a, np.zeros((3, 2), np.float32), a)
    with pytest.raises(InvalidType, match=r'y.dtype == p.dtype'):
        F.linear_interpolate(a, a, a.astype(np.float64))
    with pytest.raises(InvalidType, match=r'p.dtype.kind == .f.'):
        F.linear_interpolate(a.astype(np.int32), a.astype(np.int32), a.astype(np.int32))
