import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape_pool_axis': [((2, 6), 3, 1), ((1, 5), 5, 1), ((3, 4, 5), 2, 1), ((6, 3), 3, 0),
                        ((2, 3, 4), 2, -1), ((2, 7), 1, 1)],
    'dtype': [np.float32, np.float64],
}))
class TestMaxout(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        shape = self.shape_pool_axis[0]
        # Distinct, well separated values: the max is never a near tie.
        x = np.random.permutation(np.prod(shape)).reshape(shape) * 0.5
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        _, pool, axis = self.shape_pool_axis
        return F.maxout(inputs[0], pool, axis=axis),

    def forward_expected(self, inputs):
        x, = inputs
        _, pool, axis = self.shape_pool_axis
        axis %= x.ndim
        s = x.shape
        grouped = x.reshape(s[:axis] + (s[axis] // pool, pool) + s[axis + 1:])
        return grouped.max(axis=axis + 1),


def test_default_axis_is_one():
    x = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    assert F.maxout(x, 2).shape == (2, 2, 3)


def test_errors():
    x = np.zeros((2, 6), np.float32)
    with pytest.raises(ValueError, match='maxout: pool_size must be a positive integer'):
        F.maxout(x, 0)
    with pytest.raises(InvalidType, match=r'maxout[\s\S]*x.shape\[axis\] % pool_size == 0'):
        F.maxout(x, 4)
    with pytest.raises(ValueError, match='maxout: axis 2 is out of range'):
        F.maxout(x, 2, axis=2)
