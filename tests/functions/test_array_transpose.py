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
    'case': [((3, 2), None), ((3, 2), (1, 0)), ((2, 3, 5), (2, 0, 1)),
                    ((2, 3, 5), (-1, 0, -2)), ((1, 3, 1), None), ((5,), None), ((), None)],
    'dtype': [np.float32, np.float64],
}))
class TestTranspose(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axes = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.transpose(inputs[0], self.axes),

    def forward_expected(self, inputs):
        return np.transpose(inputs[0], self.axes),


def test_transpose_bad_axes():
    with pytest.raises(InvalidType, match='Transpose'):
        F.transpose(np.zeros((2, 3), np.float32), (0, 1, 2))
    with pytest.raises(InvalidType, match='Transpose'):
        F.transpose(np.zeros((2, 3), np.float32), (0, 0))
    with pytest.raises(TypeError, match='transpose'):
        F.transpose(np.zeros((2, 3), np.float32), 3)


def test_variable_transpose_methods():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = Variable(a)
    np.testing.assert_array_equal(x.T.array, a.T)
    np.testing.assert_array_equal(x.transpose().array, a.T)
    np.testing.assert_array_equal(x.transpose(1, 0).array, a.T)
    np.testing.assert_array_equal(x.transpose((1, 0)).array, a.T)
    y = x.T
    y.grad = a.T.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad, a)


@testing.parameterize(*testing.product({
    'case': [((2, 3, 5), 0, 2), ((2, 3, 5), -1, 1), ((3, 2), 0, 0),
                            ((1, 3), 1, 0)],
    'dtype': [np.float32, np.float64],
}))
class TestSwapaxes(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis1, self.axis2 = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.swapaxes(inputs[0], self.axis1, self.axis2),

    def forward_expected(self, inputs):
        return np.swapaxes(inputs[0], self.axis1, self.axis2),


@testing.parameterize(*testing.product({
    'case': [((2, 3, 5, 1), 0, -1), ((2, 3, 5, 1), -1, 0),
                        ((2, 3, 5, 1), (0, 1), (-1, -2)), ((2, 3, 5, 1), (3, 0), (1, 2)),
                        ((3,), 0, 0)],
    'dtype': [np.float32, np.float64],
}))
class TestMoveaxis(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.src, self.dst = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.moveaxis(inputs[0], self.src, self.dst),

    def forward_expected(self, inputs):
        return np.moveaxis(inputs[0], self.src, self.dst),


@testing.parameterize(*testing.product({
    'case': [((2, 3, 5), 2, 0), ((2, 3, 5), 0, 3), ((2, 3, 5), 1, 1),
                           ((2, 3, 5), -1, -2), ((2, 3, 5), 0, 2), ((1, 3), 1, 0)],
    'dtype': [np.float32, np.float64],
}))
class TestRollaxis(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis, self.start = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.rollaxis(inputs[0], self.axis, self.start),

    def forward_expected(self, inputs):
        return np.rollaxis(inputs[0], self.axis, self.start),


def test_axis_argument_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match='swapaxes: axis2=2'):
        F.swapaxes(x, 0, 2)
    with pytest.raises(ValueError, match='moveaxis'):
        F.moveaxis(x, (0, 1), 0)
    with pytest.raises(ValueError, match='moveaxis'):
        F.moveaxis(x, (0, 0), (0, 1))
    with pytest.raises(ValueError, match='moveaxis: source'):
        F.moveaxis(x, 5, 0)
    with pytest.raises(TypeError, match='moveaxis'):
        F.moveaxis(x, 0.5, 0)
    with pytest.raises(ValueError, match='rollaxis: start'):
        F.rollaxis(x, 0, 3)
    with pytest.raises(TypeError, match='rollaxis'):
        F.rollaxis(x, 0, 'a')
