import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3, 5), (1, 1), (7, 2)],
    'dtype': [np.float32, np.float64],
    't_dtype': [np.int32, np.int64],
}))
class TestSelectItem(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        t = np.random.randint(0, self.shape[1], self.shape[0]).astype(self.t_dtype)
        return x, t

    def forward(self, inputs, device):
        x, t = inputs
        return F.select_item(x, t),

    def forward_expected(self, inputs):
        x, t = inputs
        return np.array([x[i, t[i]] for i in range(len(t))], dtype=self.dtype),


def test_select_item_gradient():
    x = Variable(np.zeros((2, 3), np.float32))
    y = F.select_item(x, np.array([2, 0], np.int32))
    y.grad = np.array([5., 7.], np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 5], [7, 0, 0]])


def test_select_item_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match='SelectItem'):
        F.select_item(x, np.array([0, 1], np.float32))
    with pytest.raises(InvalidType, match='SelectItem'):
        F.select_item(x, np.array([0, 1, 2], np.int32))
    with pytest.raises(InvalidType, match='SelectItem'):
        F.select_item(np.zeros((2, 3, 1), np.float32), np.array([0, 1], np.int32))
