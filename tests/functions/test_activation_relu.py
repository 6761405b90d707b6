import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _away_from_zero(shape, dtype, low=0.1, high=1.0):
    """Values with |x| in [low, high] and random signs (no kink for finite differences)."""
    x = np.random.uniform(low, high, shape) * np.random.choice([-1, 1], shape)
    return x.astype(dtype)


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), (1, 3, 5), ()],
    'dtype': [np.float16, np.float32, np.float64],
}))
class TestReLU(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float16:
            self.check_forward_options = {'atol': 1e-3, 'rtol': 1e-3}
            self.check_backward_options = {'atol': 5e-2, 'rtol': 5e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 5e-2, 'rtol': 5e-2,
                                                  'dtype': np.float64}
        elif self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return _away_from_zero(self.shape, self.dtype),

    def forward(self, inputs, device):
        return F.relu(inputs[0]),

    def forward_expected(self, inputs):
        x, = inputs
        return np.where(x > 0, x, 0).astype(self.dtype),


def test_relu_backward_masks_gradient():
    x = Variable(np.array([-1., 2., -3., 4.], np.float32))
    y = F.relu(x)
    y.grad = np.array([10., 20., 30., 40.], np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [0., 20., 0., 40.])
    assert x.grad.dtype == np.float32


def test_relu_double_backward_graph():
    x = Variable(np.array([-1., 2.], np.float64))
    y = F.relu(x)
    y.grad_var = Variable(np.array([3., 5.]))
    y.backward(enable_double_backprop=True)
    gx = x.grad_var
    np.testing.assert_array_equal(gx.array, [0., 5.])
    assert gx.creator is not None


def test_relu_keeps_only_its_output_array():
    x = Variable(np.array([-1., 2., 0.5], np.float32))
    z = F.sum(F.relu(x) * 3)  # the output Variable of relu is gone after this line
    assert x.node.data is None  # the input array is not kept for backward
    z.backward()
    np.testing.assert_array_equal(x.grad, [0., 3., 3.])


def test_relu_accepts_arrays_and_no_backprop():
    y = F.relu(np.array([-1., 2.], np.float32))
    assert isinstance(y, Variable)
    np.testing.assert_array_equal(y.array, [0., 2.])
    with tracegrad.no_backprop_mode():
        y = F.relu(Variable(np.array([-1., 2.], np.float32)))
    assert y.creator is None


def test_relu_int_input_raises():
    with pytest.raises(InvalidType, match=r"ReLU[\s\S]*x.dtype.kind == 'f'"):
        F.relu(np.array([1, -2], np.int32))
