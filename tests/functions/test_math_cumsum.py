"""cumsum along an axis or over the flattened array."""
import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape_axis': [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 5), 1),
                   ((3, 4), None), ((1,), None), ((), None)],
    'dtype': [np.float32, np.float64],
}))
class TestCumsum(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis = self.shape_axis
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.cumsum(inputs[0], axis=self.axis),

    def forward_expected(self, inputs):
        return np.cumsum(inputs[0], axis=self.axis).astype(self.dtype),


def test_cumsum_gradient_counts_later_positions():
    x = Variable(np.zeros((2, 3), np.float32))
    F.sum(F.cumsum(x, axis=1)).backward()
    np.testing.assert_array_equal(x.grad, [[3., 2., 1.], [3., 2., 1.]])
    x = Variable(np.zeros((2, 2), np.float32))
    F.sum(F.cumsum(x)).backward()
    np.testing.assert_array_equal(x.grad, [[4., 3.], [2., 1.]])


def test_cumsum_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match='cumsum: axis must be None or an int'):
        F.cumsum(x, axis=(0, 1))
    with pytest.raises(InvalidType, match=r'(?s)Cumsum.*x.ndim > 2'):
        F.cumsum(x, axis=2)
    with pytest.raises(InvalidType, match=r'x.dtype.kind == .f.'):
        F.cumsum(np.zeros(3, np.int64))
