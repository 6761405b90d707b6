import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shapes': [((3, 5), (3, 5), (3, 5)), ((3, 1), (1, 5), (3, 5)), ((5,), (3, 5), ()),
               ((1,), (1,), (1,))],
    'dtype': [np.float32, np.float64],
}))
class TestWhere(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        c = np.random.uniform(-1, 1, self.shapes[0]) > 0
        x = np.random.uniform(-1, 1, self.shapes[1]).astype(self.dtype)
        y = np.random.uniform(-1, 1, self.shapes[2]).astype(self.dtype)
        return c, x, y

    def forward(self, inputs, device):
        c, x, y = inputs
        return F.where(c, x, y),

    def forward_expected(self, inputs):
        c, x, y = inputs
        return np.where(c, x, y),


def test_where_gradients():
    c = np.array([True, False, True])
    x = Variable(np.array([1., 2., 3.], np.float32))
    y = Variable(np.array([4., 5., 6.], np.float32))
    z = F.where(c, x, y)
    z.grad = np.array([1., 2., 3.], np.float32)
    z.backward()
    np.testing.assert_array_equal(x.grad, [1, 0, 3])
    np.testing.assert_array_equal(y.grad, [0, 2, 0])


def test_where_errors():
    x = np.ones(3, np.float32)
    with pytest.raises(InvalidType, match=r'Where(.|\n)*condition.dtype.kind'):
        F.where(np.ones(3, np.float32), x, x)
    with pytest.raises(InvalidType, match='Where'):
        F.where(np.ones(3, bool), x, x.astype(np.float64))
    with pytest.raises(InvalidType, match='Where'):
        F.where(np.ones(4, bool), x, x)
