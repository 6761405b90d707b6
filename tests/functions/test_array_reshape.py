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
    'case': [((4, 3, 2), (2, 12)), ((4, 3, 2), (-1, 3)), ((5,), (1, 5)),
                            ((1,), ()), ((7, 1), (7,))],
    'dtype': [np.float32, np.float64],
}))
class TestReshape(testing.FunctionTestCase):
    def setUp(self):
        self.in_shape, self.out_shape = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.in_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.reshape(inputs[0], self.out_shape),

    def forward_expected(self, inputs):
        return np.reshape(inputs[0], self.out_shape),


def test_reshape_same_shape_returns_input():
    x = Variable(np.ones((2, 3), np.float32))
    assert F.reshape(x, (2, 3)) is x


def test_reshape_bad_size():
    with pytest.raises(InvalidType, match=r'Reshape.*\n\nExpect: prod\(x.shape\) == '
                                          r'prod\(\(4, 3\)\)\nActual: 8 != 12'):
        F.reshape(np.zeros((2, 4), np.float32), (4, 3))
    with pytest.raises(InvalidType, match='Reshape'):
        F.reshape(np.zeros((2, 4), np.float32), (3, -1))


def test_reshape_bad_shape_argument():
    with pytest.raises(ValueError, match='reshape'):
        F.reshape(np.zeros((2, 4), np.float32), (-1, -1))
    with pytest.raises(TypeError, match='reshape'):
        F.reshape(np.zeros((2, 4), np.float32), 'ab')


def test_variable_reshape_methods():
    x = Variable(np.arange(6, dtype=np.float32))
    assert x.reshape(2, 3).shape == (2, 3)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape([1, -1]).shape == (1, 6)
    y = x.reshape(2, 3)
    y.grad = np.arange(6, dtype=np.float32).reshape(2, 3)
    y.backward()
    np.testing.assert_array_equal(x.grad, np.arange(6))


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (2, 1, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestFlatten(testing.FunctionTestCase):
    def setUp(self):
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.flatten(inputs[0]),

    def forward_expected(self, inputs):
        return inputs[0].ravel(),


@testing.parameterize(*testing.product({
    'case': [((3, 2), 0), ((3, 2), 1), ((3, 2), 2), ((3, 2), -1), ((3, 2), -3),
                    ((1,), 0), ((), 0)],
    'dtype': [np.float32, np.float64],
}))
class TestExpandDims(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.expand_dims(inputs[0], self.axis),

    def forward_expected(self, inputs):
        return np.expand_dims(inputs[0], self.axis),


def test_expand_dims_bad_axis():
    with pytest.raises(InvalidType, match='ExpandDims'):
        F.expand_dims(np.zeros((2, 3), np.float32), 3)
    with pytest.raises(InvalidType, match='ExpandDims'):
        F.expand_dims(np.zeros((2, 3), np.float32), -4)
    with pytest.raises(TypeError, match='expand_dims'):
        F.expand_dims(np.zeros((2, 3), np.float32), 1.5)


@testing.parameterize(*testing.product({
    'case': [((1, 3, 1, 5), None), ((1, 3, 1, 5), 0), ((1, 3, 1, 5), (0, 2)),
                    ((1, 3, 1, 5), -2), ((1,), None), ((1,), 0), ((3,), None)],
    'dtype': [np.float32, np.float64],
}))
class TestSqueeze(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.squeeze(inputs[0], self.axis),

    def forward_expected(self, inputs):
        return np.squeeze(inputs[0], self.axis),


def test_squeeze_bad_axis():
    x = np.zeros((1, 3), np.float32)
    with pytest.raises(InvalidType, match=r'Squeeze.*\n\nExpect: x.shape\[1\] == 1'):
        F.squeeze(x, 1)
    with pytest.raises(InvalidType, match='Squeeze'):
        F.squeeze(x, 2)
    with pytest.raises(TypeError, match='squeeze'):
        F.squeeze(x, 'a')
