"""bias and scale: a smaller array applied from an axis of x."""
import numpy as np
import pytest

from tracegrad import functions as F
from tracegrad import testing


@testing.parameterize(*testing.product({
    'func': ['bias', 'scale'],
    'shapes_axis': [((2, 3, 4), (3,), 1), ((2, 3, 4), (3, 4), 1), ((2, 3, 4), (2,), 0),
                    ((5, 3), (3,), -1), ((1, 3, 2, 2), (3, 2), 1), ((4,), (4,), 0)],
    'dtype': [np.float32, np.float64],
}))
class TestBiasScale(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        x_shape, y_shape, _ = self.shapes_axis
        x = np.random.uniform(-1, 1, x_shape).astype(self.dtype)
        y = np.random.uniform(-1, 1, y_shape).astype(self.dtype)
        return x, y

    def forward(self, inputs, device):
        x, y = inputs
        return getattr(F, self.func)(x, y, axis=self.shapes_axis[2]),

    def forward_expected(self, inputs):
        x, y = inputs
        axis = self.shapes_axis[2] % x.ndim
        y = y.reshape((1,) * axis + y.shape + (1,) * (x.ndim - axis - y.ndim))
        return (x + y if self.func == 'bias' else x * y).astype(self.dtype),


def test_bias_default_axis_is_one():
    x = np.zeros((2, 3, 2), np.float32)
    y = F.bias(x, np.array([1., 2., 3.], np.float32))
    np.testing.assert_array_equal(y.array[1, :, 1], [1., 2., 3.])


@pytest.mark.parametrize('func', ['bias', 'scale'])
def test_bias_scale_shape_mismatch(func):
    x = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=rf'{func}: y.shape must equal x.shape\[axis:'):
        getattr(F, func)(x, np.zeros((4,), np.float32))
