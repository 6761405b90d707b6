import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _tol(case):
    if case.dtype == np.float32:
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}


@testing.parameterize(*testing.product({
    'case': [((6, 3), 3, 0), ((2, 7), [1, 4], 1), ((2, 7), [0, 3, 3, 7], -1),
             ((5, 2), np.array([2]), 0), ((3,), 1, 0), ((3, 4), [], 0), ((1, 5), 5, 1)],
    'dtype': [np.float32, np.float64],
}))
class TestSplitAxis(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.ios, self.axis = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return tuple(F.split_axis(inputs[0], self.ios, self.axis))

    def forward_expected(self, inputs):
        return tuple(np.split(inputs[0], self.ios, self.axis))


def test_split_axis_force_tuple():
    x = np.ones((2, 3), np.float32)
    assert isinstance(F.split_axis(x, 1, 0), tuple)
    y = F.split_axis(x, 1, 0, force_tuple=False)
    assert isinstance(y, Variable) and y.shape == (2, 3)
    assert isinstance(F.split_axis(x, [1], 1, force_tuple=False), tuple)


def test_split_axis_unused_outputs_get_zero_grad():
    x = Variable(np.arange(6, dtype=np.float32))
    _, b, _ = F.split_axis(x, 3, 0)
    b.grad = np.array([1., 2.], np.float32)
    b.backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1, 2, 0, 0])


def test_split_axis_errors():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(InvalidType, match='SplitAxis'):
        F.split_axis(x, 2, 1)
    with pytest.raises(InvalidType, match='SplitAxis'):
        F.split_axis(x, [4], 1)
    with pytest.raises(InvalidType, match='SplitAxis'):
        F.split_axis(x, 2, 2)
    with pytest.raises(ValueError, match='split_axis: indices must be non-negative and sorted'):
        F.split_axis(x, [2, 1], 1)
    with pytest.raises(ValueError, match='split_axis'):
        F.split_axis(x, 0, 1)
    with pytest.raises(TypeError, match='split_axis'):
        F.split_axis(x, 1.5, 1)
    with pytest.raises(TypeError, match='split_axis'):
        F.split_axis(x, np.array([[1]]), 1)
    with pytest.raises(TypeError, match='split_axis'):
        F.split_axis(x, np.array([1.0]), 1)
    with pytest.raises(TypeError, match='split_axis: axis'):
        F.split_axis(x, 1, None)


@testing.parameterize(*testing.product({
    'case': [((2, 3), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((1,), 0), ((5,), 0)],
    'dtype': [np.float32, np.float64],
}))
class TestSeparate(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.separate(inputs[0], self.axis)

    def forward_expected(self, inputs):
        x = inputs[0]
        return tuple(np.take(x, i, axis=self.axis) for i in range(x.shape[self.axis]))


def test_separate_errors_and_partial_grad():
    with pytest.raises(InvalidType, match='Separate'):
        F.separate(np.ones((2, 3), np.float32), 2)
    x = Variable(np.ones((3, 2), np.float32))
    ys = F.separate(x, 1)
    ys[1].grad = np.array([1., 2., 3.], np.float32)
    ys[1].backward()
    np.testing.assert_array_equal(x.grad, [[0, 1], [0, 2], [0, 3]])
