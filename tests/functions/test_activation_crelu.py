import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape_axis': [((3, 2), 1), ((1, 3), 1), ((5, 3, 2), 0), ((2, 3, 5), 2), ((2, 3, 5), -1),
                   ((3,), 0)],
    'dtype': [np.float32, np.float64],
}))
class TestCReLU(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        shape, _ = self.shape_axis
        x = np.random.uniform(0.1, 1, shape) * np.random.choice([-1, 1], shape)
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.crelu(inputs[0], axis=self.shape_axis[1]),

    def forward_expected(self, inputs):
        x, = inputs
        axis = self.shape_axis[1]
        return np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], axis=axis),


def test_default_axis_is_one():
    x = np.zeros((2, 3, 4), np.float32)
    assert F.crelu(x).shape == (2, 6, 4)


def test_gradient_values():
    x = Variable(np.array([[-1., 2.]]))
    y = F.crelu(x)
    y.grad = np.array([[1., 2., 3., 4.]])
    y.backward()
    # d/dx of max(0, -x) is -1 where x < 0.
    np.testing.assert_allclose(x.grad, [[-3., 2.]])


def test_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'CReLU[\s\S]*x.ndim > 2'):
        F.crelu(x, axis=2)
    with pytest.raises(InvalidType, match='CReLU'):
        F.crelu(x, axis=-3)
    with pytest.raises(TypeError, match='crelu: axis must be an int'):
        F.crelu(x, axis=1.0)
    with pytest.raises(InvalidType, match='CReLU'):
        F.crelu(np.zeros((2, 3), np.int32))
