import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def average_pool_reference(x, k, s, p):
    """Window sums over the zero-padded input divided by the full window size."""
    n, c, h, w = x.shape
    out_h = (h + 2 * p[0] - k[0]) // s[0] + 1
    out_w = (w + 2 * p[1] - k[1]) // s[1] + 1
    padded = np.zeros((n, c, h + 2 * p[0], w + 2 * p[1]), x.dtype)
    padded[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    y = np.empty((n, c, out_h, out_w), x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            win = padded[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            y[:, :, i, j] = win.sum(axis=(2, 3)) / (k[0] * k[1])
    return y


@testing.parameterize(*testing.product({
    'x_shape': [(2, 3, 7, 5), (1, 1, 4, 6)],
    'ksize': [(3, 2), (2, 2)],
    'stride': [None, (2, 1), (1, 3)],
    'pad': [(0, 0), (1, 1)],
    'dtype': [np.float32, np.float64],
}))
class TestAveragePooling2D(testing.FunctionTestCase):
    def setUp(self):
        self.s = self.ksize if self.stride is None else self.stride
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.x_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.average_pooling_2d(inputs[0], self.ksize, self.stride, self.pad),

    def forward_expected(self, inputs):
        return average_pool_reference(inputs[0], self.ksize, self.s, self.pad),


def test_average_pooling_counts_padding_in_the_divisor():
    x = np.ones((1, 1, 2, 2), np.float32)
    y = F.average_pooling_2d(x, 2, stride=2, pad=1)
    np.testing.assert_array_equal(y.array, np.full((1, 1, 2, 2), 0.25, np.float32))
    assert y.dtype == np.float32


def test_average_pooling_gradient_spreads_evenly():
    x = Variable(np.zeros((1, 1, 2, 4)))
    y = F.average_pooling_2d(x, 2)
    y.grad = np.array([[[[4., 8.]]]])
    y.backward()
    np.testing.assert_array_equal(x.grad, [[[[1., 1., 2., 2.], [1., 1., 2., 2.]]]])


def test_average_pooling_errors():
    with pytest.raises(InvalidType, match='AveragePooling2D[\\s\\S]*x.ndim == 4'):
        F.average_pooling_2d(np.ones((1, 4, 4), np.float32), 2)
    with pytest.raises(ValueError, match='average_pooling_2d: stride must be positive'):
        F.average_pooling_2d(np.ones((1, 1, 4, 4), np.float32), 2, stride=0)
