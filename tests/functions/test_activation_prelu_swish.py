"""prelu and swish: activations with a parameter shared over the batch axis."""
import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@testing.parameterize(*testing.product({
    'shapes': [((4, 3), (3,)), ((1, 3), (3,)), ((2, 3, 5), (3,)), ((2, 3, 5), (3, 5)),
               ((3, 5), ()), ((2, 3, 2, 3), (3,))],
    'dtype': [np.float32, np.float64],
    'fn': ['prelu', 'swish'],
}))
class TestChannelParam(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x_shape, p_shape = self.shapes
        x = np.random.uniform(0.1, 1, x_shape) * np.random.choice([-1, 1], x_shape)
        p = np.random.uniform(-1, 1, p_shape)
        return x.astype(self.dtype), p.astype(self.dtype)

    def forward(self, inputs, device):
        return getattr(F, self.fn)(*inputs),

    def forward_expected(self, inputs):
        x, p = inputs
        p = p.reshape((1,) + p.shape + (1,) * (x.ndim - p.ndim - 1))
        if self.fn == 'prelu':
            y = np.where(x >= 0, x, x * p)
        else:
            y = x * _sigmoid(p.astype(np.float64) * x)
        return y.astype(self.dtype),


def test_prelu_gradient_values():
    x = Variable(np.array([[-1., 2.], [-3., -4.]]))
    W = Variable(np.array([0.5, 0.25]))
    y = F.prelu(x, W)
    y.grad = np.ones((2, 2))
    y.backward()
    np.testing.assert_allclose(x.grad, [[0.5, 1.], [0.5, 0.25]])
    np.testing.assert_allclose(W.grad, [-4., -4.])


def test_swish_beta_zero_is_half_identity():
    x = np.array([[-2., 0.5, 3.]], np.float32)
    y = F.swish(x, np.zeros(3, np.float32))
    np.testing.assert_allclose(y.array, x / 2)
    assert y.dtype == np.float32


@pytest.mark.parametrize('fn, name, pname', [(F.prelu, 'PReLUFunction', 'W'),
                                              (F.swish, 'Swish', 'beta')])
def test_shape_and_dtype_errors(fn, name, pname):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=name + r'[\s\S]*' + pname + r'\.shape'):
        fn(x, np.zeros(4, np.float32))
    with pytest.raises(InvalidType, match=pname + r'.dtype == x.dtype'):
        fn(x, np.zeros(3, np.float64))
    with pytest.raises(InvalidType, match=r'x.ndim >= ' + pname):
        fn(x, np.zeros((3, 1), np.float32))
    with pytest.raises(InvalidType, match=name):
        fn(np.zeros((2, 3), np.int32), np.zeros(3, np.int32))
