import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def _lrn_reference(x, n, k, alpha, beta):
    x64 = x.astype(np.float64)
    y = np.empty_like(x64)
    channels = x.shape[1]
    for c in range(channels):
        lo, hi = max(0, c - n // 2), min(channels, c + n // 2 + 1)
        window = (x64[:, lo:hi] ** 2).sum(axis=1)
        y[:, c] = x64[:, c] / (k + alpha * window) ** beta
    return y.astype(x.dtype)


@testing.parameterize(*(
    testing.product({
        'shape': [(2, 7, 3), (1, 3, 2, 2)],
        'params': [{}, {'n': 3, 'k': 1, 'alpha': 0.5, 'beta': 0.6}],
        'dtype': [np.float32, np.float64],
    }) + testing.product({
        'shape': [(3, 5)],
        'params': [{'n': 1, 'k': 1.5, 'alpha': 1.0, 'beta': 0.5},
                   {'n': 4, 'k': 1, 'alpha': 0.3, 'beta': 1.2}],
        'dtype': [np.float32, np.float64],
    })))
class TestLocalResponseNormalization(testing.FunctionTestCase):
    def setUp(self):
        self.args = {'n': 5, 'k': 2, 'alpha': 1e-4, 'beta': 0.75, **self.params}
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2,
                                                  'dtype': np.float64}
        else:
            self.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}
            self.check_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-4}
            self.check_double_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-4}

    def generate_inputs(self):
        return np.random.uniform(-2, 2, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        x, = inputs
        return F.local_response_normalization(x, **self.params),

    def forward_expected(self, inputs):
        x, = inputs
        return _lrn_reference(x, **self.args),


def test_known_values():
    # one channel neighbour on each side with n=3
    x = np.array([[1., 2., 3.]])
    y = F.local_response_normalization(x, n=3, k=1, alpha=1, beta=1)
    np.testing.assert_allclose(y.array, [[1 / 6, 2 / 15, 3 / 14]])


def test_bad_inputs():
    with pytest.raises(InvalidType, match=r'(?s)LocalResponseNormalization.*x.ndim >= 2'):
        F.local_response_normalization(np.zeros(3, np.float32))
    with pytest.raises(InvalidType, match=r"(?s)LocalResponseNormalization.*x.dtype.kind"):
        F.local_response_normalization(np.zeros((2, 3), np.int32))
    with pytest.raises(ValueError, match='local_response_normalization: n must be'):
        F.local_response_normalization(np.zeros((2, 3), np.float32), n=0)
