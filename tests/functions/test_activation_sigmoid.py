import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), ()],
    'dtype': [np.float32, np.float64],
}))
class TestSigmoid(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        return np.random.uniform(-3, 3, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.sigmoid(inputs[0]),

    def forward_expected(self, inputs):
        x, = inputs
        return np.asarray(1 / (1 + np.exp(-x.astype(np.float64)))).astype(self.dtype),


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7)],
    'dtype': [np.float32, np.float64],
}))
class TestHardSigmoid(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        # Keep away from the kinks at +-2.5.
        x = np.random.uniform(-4, 4, self.shape)
        x[np.abs(np.abs(x) - 2.5) < 0.1] = 0.5
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.hard_sigmoid(inputs[0]),

    def forward_expected(self, inputs):
        x, = inputs
        return np.minimum(np.maximum(0.2 * x + 0.5, 0), 1).astype(self.dtype),


def test_sigmoid_extremes_are_finite():
    x = np.array([-1000., 1000.], np.float32)
    y = F.sigmoid(x).array
    np.testing.assert_array_equal(y, [0., 1.])


def test_hard_sigmoid_gradient_is_zero_outside():
    x = Variable(np.array([-3., 0., 3.], np.float32))
    y = F.hard_sigmoid(x)
    y.grad = np.ones(3, np.float32)
    y.backward()
    np.testing.assert_allclose(x.grad, [0., 0.2, 0.])
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize('fn, name', [(F.sigmoid, 'Sigmoid'), (F.hard_sigmoid, 'HardSigmoid')])
def test_int_input_raises(fn, name):
    with pytest.raises(InvalidType, match=name):
        fn(np.array([1, 2], np.int64))
