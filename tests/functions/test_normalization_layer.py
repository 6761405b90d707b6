import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def _tolerances(case, dtype):
    if dtype == np.float32:
        case.check_forward_options = {'atol': 1e-4, 'rtol': 1e-3}
        case.check_backward_options = {'atol': 1e-2, 'rtol': 1e-2, 'dtype': np.float64}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2,
                                              'dtype': np.float64}
    else:
        case.check_forward_options = {'atol': 1e-10, 'rtol': 1e-9}
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}


@testing.parameterize(*testing.product({
    'shape': [(1, 5), (3, 7), (4, 2)],
    'eps': [1e-5, 0.5],
    'dtype': [np.float32, np.float64],
}))
class TestLayerNormalization(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self, self.dtype)

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        gamma = np.random.uniform(0.5, 1.5, self.shape[1]).astype(self.dtype)
        beta = np.random.uniform(-1, 1, self.shape[1]).astype(self.dtype)
        return x, gamma, beta

    def forward(self, inputs, device):
        x, gamma, beta = inputs
        if self.eps == 1e-5:
            return F.layer_normalization(x, gamma, beta),
        return F.layer_normalization(x, gamma, beta, eps=self.eps),

    def forward_expected(self, inputs):
        x, gamma, beta = inputs
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=1, keepdims=True)
        var = ((x64 - mean) ** 2).mean(axis=1, keepdims=True)
        y = (x64 - mean) / np.sqrt(var + self.eps) * gamma + beta
        return y.astype(self.dtype),


def test_rows_are_standardized_independently():
    x = np.array([[1., 2., 3.], [10., 20., 60.]])
    y = F.layer_normalization(x, np.ones(3), np.zeros(3), eps=0.)
    np.testing.assert_allclose(y.array.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.array.std(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(y.array[0], [-np.sqrt(1.5), 0, np.sqrt(1.5)])


@pytest.mark.parametrize('x_shape,g_shape,g_dtype,match', [
    ((2, 3, 4), (3,), np.float32, 'x.ndim == 2'),
    ((2, 3), (3, 1), np.float32, 'gamma.ndim == 1'),
    ((2, 3), (4,), np.float32, r'gamma.shape\[0\] == x.shape\[1\]'),
    ((2, 3), (3,), np.float64, 'gamma.dtype == x.dtype'),
])
def test_bad_inputs_name_function(x_shape, g_shape, g_dtype, match):
    x = np.zeros(x_shape, np.float32)
    g = np.ones(g_shape, g_dtype)
    with pytest.raises(InvalidType, match=r'(?s)LayerNormalization.*' + match):
        F.layer_normalization(x, g, g)


def test_beta_shape_must_match_gamma():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match='gamma.shape == beta.shape'):
        F.layer_normalization(x, np.ones(3, np.float32), np.ones((1,), np.float32))
