import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), ()],
    'dtype': [np.float32, np.float64],
    'slope': [0.2, 0.0, -0.5, 1.5],
}))
class TestLeakyReLU(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(0.1, 1, self.shape) * np.random.choice([-1, 1], self.shape)
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.leaky_relu(inputs[0], slope=self.slope),

    def forward_expected(self, inputs):
        x, = inputs
        return np.where(x >= 0, x, self.slope * x).astype(self.dtype),


def test_default_slope_is_0_2():
    y = F.leaky_relu(np.array([-1., 2.], np.float32))
    np.testing.assert_allclose(y.array, [-0.2, 2.])
    assert y.dtype == np.float32


def test_gradient_values():
    x = Variable(np.array([-1., 2.], np.float64))
    y = F.leaky_relu(x, slope=0.3)
    y.grad = np.array([10., 10.])
    y.backward()
    np.testing.assert_allclose(x.grad, [3., 10.])


def test_int_input_raises():
    with pytest.raises(InvalidType, match='LeakyReLU'):
        F.leaky_relu(np.array([1, -2], np.int32))
