import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def _cov(y, z):
    y, z = y.astype(np.float64), z.astype(np.float64)
    return (y - y.mean(0)).T @ (z - z.mean(0)) / len(y)


_TOLERANCES = {
    'check_forward_options': {'atol': 1e-5, 'rtol': 1e-4},
    'check_backward_options': {'atol': 1e-3, 'rtol': 1e-2},
    'check_double_backward_options': {'atol': 1e-3, 'rtol': 1e-2},
}


@testing.parameterize(*testing.product({
    'shapes': [((4, 3), (4, 2)), ((1, 5), (1, 3)), ((7, 1), (7, 5))],
    'dtype': [np.float32, np.float64],
    'reduce': ['half_squared_sum', 'no'],
}))
class TestCrossCovariance(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            vars(self).update(_TOLERANCES)

    def generate_inputs(self):
        return tuple(np.random.uniform(-1, 1, s).astype(self.dtype) for s in self.shapes)

    def forward(self, inputs, device):
        return F.cross_covariance(*inputs, reduce=self.reduce),

    def forward_expected(self, inputs):
        c = _cov(*inputs)
        return np.asarray(0.5 * (c ** 2).sum() if self.reduce != 'no' else c, self.dtype),


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 5), (7, 1), (5, 7)],
    'dtype': [np.float32, np.float64],
    'reduce': ['half_squared_sum', 'no'],
}))
class TestDeCov(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            vars(self).update(_TOLERANCES)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.decov(inputs[0], reduce=self.reduce),

    def forward_expected(self, inputs):
        c = _cov(inputs[0], inputs[0])
        np.fill_diagonal(c, 0)
        return np.asarray(0.5 * (c ** 2).sum() if self.reduce != 'no' else c, self.dtype),


@pytest.mark.parametrize('func, args', [
    (F.cross_covariance, (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32))),
    (F.decov, (np.zeros((2, 3), np.float32),)),
])
def test_bad_reduce_raises(func, args):
    with pytest.raises(ValueError, match=f"{func.__name__}.*reduce.*'mean'"):
        func(*args, reduce='mean')


@pytest.mark.parametrize('y, z, match', [
    (np.zeros((2, 3), np.float32), np.zeros((3, 3), np.float32), r'y.shape\[0\] == z.shape\[0\]'),
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float64), 'y.dtype == z.dtype'),
    (np.zeros((2, 3, 1), np.float32), np.zeros((2, 3), np.float32), 'y.ndim == 2'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.float32), 'z.ndim == 2'),
    (np.zeros((2, 3), np.int32), np.zeros((2, 3), np.int32), "y.dtype.kind == 'f'"),
])
def test_cross_covariance_bad_inputs_raise(y, z, match):
    with pytest.raises(InvalidType, match=f'(?s)cross_covariance.*{match}'):
        F.cross_covariance(y, z)


@pytest.mark.parametrize('h, match', [
    (np.zeros(3, np.float32), 'h.ndim == 2'),
    (np.zeros((2, 3), np.int32), "h.dtype.kind == 'f'"),
])
def test_decov_bad_inputs_raise(h, match):
    with pytest.raises(InvalidType, match=f'(?s)decov.*{match}'):
        F.decov(h)
