import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), ()],
    'dtype': [np.float32, np.float64],
    'beta': [1.0, 2.0, 0.5],
}))
class TestSoftplus(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-3, 3, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.softplus(inputs[0], beta=self.beta),

    def forward_expected(self, inputs):
        x = inputs[0].astype(np.float64)
        return np.asarray(np.log1p(np.exp(self.beta * x)) / self.beta).astype(self.dtype),


def test_default_beta_and_extremes():
    with np.errstate(over='raise', invalid='raise', divide='raise'):
        y = F.softplus(np.array([-1000., 0., 1000.], np.float32))
    np.testing.assert_allclose(y.array, [0., np.log(2.), 1000.], rtol=1e-6)


def test_gradient_is_sigmoid():
    x = Variable(np.array([-1., 0., 2.], np.float64))
    y = F.softplus(x, beta=2.)
    y.grad = np.ones(3)
    y.backward()
    np.testing.assert_allclose(x.grad, 1 / (1 + np.exp(-2 * x.array)))


def test_int_input_raises():
    with pytest.raises(InvalidType, match='Softplus'):
        F.softplus(np.array([1, -2], np.int32))
