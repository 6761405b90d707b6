"""batch_l2_norm_squared: the squared norm of each example."""
import numpy as np
import pytest

from tracegrad import functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 5), (3, 2, 5), (2, 3, 1, 7)],
    'dtype': [np.float32, np.float64],
}))
class TestBatchL2NormSquared(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.batch_l2_norm_squared(inputs[0]),

    def forward_expected(self, inputs):
        x, = inputs
        flat = x.reshape(len(x), -1)
        return np.array([np.dot(row, row) for row in flat], dtype=self.dtype),


def test_batch_l2_norm_squared_errors():
    with pytest.raises(InvalidType, match=r'(?s)BatchL2NormSquared.*x.ndim >= 2'):
        F.batch_l2_norm_squared(np.zeros(3, np.float32))
    with pytest.raises(InvalidType, match=r'x.dtype.kind == .f.'):
        F.batch_l2_norm_squared(np.zeros((2, 3), np.int32))
