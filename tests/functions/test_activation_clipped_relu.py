import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), ()],
    'dtype': [np.float32, np.float64],
    'z': [0.75, 20.0, None],  # None: relu6
}))
class TestClippedReLU(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        cap = 6.0 if self.z is None else self.z
        x = np.random.uniform(-1, cap + 1, self.shape)
        # Keep away from the kinks at 0 and at the cap.
        x[np.abs(x) < 0.1] = 0.3 * cap
        x[np.abs(x - cap) < 0.1] = 0.6 * cap
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        if self.z is None:
            return F.relu6(inputs[0]),
        return F.clipped_relu(inputs[0], z=self.z),

    def forward_expected(self, inputs):
        cap = 6.0 if self.z is None else self.z
        return np.asarray(np.clip(inputs[0], 0, cap)).astype(self.dtype),


def test_default_cap_is_20():
    y = F.clipped_relu(np.array([-1., 5., 25.], np.float32))
    np.testing.assert_array_equal(y.array, [0., 5., 20.])
    assert y.dtype == np.float32


def test_gradient_is_zero_outside():
    x = Variable(np.array([-1., 0.5, 2.], np.float32))
    y = F.clipped_relu(x, 1.0)
    y.grad = np.full(3, 7., np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [0., 7., 0.])


def test_bad_z():
    x = np.zeros(2, np.float32)
    with pytest.raises(TypeError, match='clipped_relu: z must be a float'):
        F.clipped_relu(x, 5)
    with pytest.raises(ValueError, match='clipped_relu: z must be positive'):
        F.clipped_relu(x, -1.0)


def test_int_input_raises():
    with pytest.raises(InvalidType, match='ClippedReLU'):
        F.clipped_relu(np.array([1, -2], np.int32))
