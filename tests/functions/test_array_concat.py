import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _tol(case):
    if case.dtype == np.float32:
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}


def _inputs(shapes, dtype):
    return tuple(np.random.uniform(-1, 1, s).astype(dtype) for s in shapes)


@testing.parameterize(*testing.product({
    'case': [([(2, 3, 5), (2, 1, 5), (2, 4, 5)], 1), ([(2, 3), (5, 3)], 0),
             ([(2, 3), (2, 7)], -1), ([(3,)], 0), ([(1,), (1,), (1,)], 0)],
    'dtype': [np.float32, np.float64],
}))
class TestConcat(testing.FunctionTestCase):
    def setUp(self):
        self.shapes, self.axis = self.case
        _tol(self)

    def generate_inputs(self):
        return _inputs(self.shapes, self.dtype)

    def forward(self, inputs, device):
        return F.concat(inputs, axis=self.axis),

    def forward_expected(self, inputs):
        return np.concatenate(inputs, axis=self.axis),


def test_concat_default_axis_and_errors():
    a, b = np.ones((2, 3), np.float32), np.zeros((2, 1), np.float32)
    assert F.concat((a, b)).shape == (2, 4)
    with pytest.raises(InvalidType, match='Concat'):
        F.concat((a, np.ones((3, 1), np.float32)))
    with pytest.raises(InvalidType, match='Concat'):
        F.concat((a, b.astype(np.float64)))
    with pytest.raises(InvalidType, match='Concat'):
        F.concat((a, b), axis=2)
    with pytest.raises(TypeError, match='concat: axis'):
        F.concat((a, b), axis=1.0)
    with pytest.raises(ValueError, match='concat'):
        F.concat(())


@testing.parameterize(*testing.product({
    'case': [((2, 3), 3, 0), ((2, 3), 2, 1), ((2, 3), 2, 2), ((2, 3), 2, -1),
             ((2, 3), 2, -3), ((5,), 1, 0), ((), 3, 0)],
    'dtype': [np.float32, np.float64],
}))
class TestStack(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.n, self.axis = self.case
        _tol(self)

    def generate_inputs(self):
        return _inputs([self.shape] * self.n, self.dtype)

    def forward(self, inputs, device):
        return F.stack(inputs, axis=self.axis),

    def forward_expected(self, inputs):
        return np.stack(inputs, axis=self.axis),


def test_stack_errors():
    a = np.ones((2, 3), np.float32)
    with pytest.raises(InvalidType, match='Stack'):
        F.stack([a, np.ones((3, 2), np.float32)])
    with pytest.raises(InvalidType, match='Stack'):
        F.stack([a, a], axis=3)
    with pytest.raises(TypeError, match='stack'):
        F.stack(a)


@testing.parameterize(*testing.product({
    'case': [('hstack', [(2, 3), (2, 1)]), ('hstack', [(3,), (5,)]), ('hstack', [(), ()]),
             ('hstack', [(2, 1, 3), (2, 2, 3)]),
             ('vstack', [(2, 3), (1, 3)]), ('vstack', [(3,), (3,)]), ('vstack', [(), ()]),
             ('dstack', [(2, 3), (2, 3)]), ('dstack', [(3,), (3,)]), ('dstack', [(), ()]),
             ('dstack', [(2, 1, 3), (2, 1, 1)])],
    'dtype': [np.float32, np.float64],
}))
class TestHVDStack(testing.FunctionTestCase):
    def setUp(self):
        self.func, self.shapes = self.case
        _tol(self)

    def generate_inputs(self):
        return _inputs(self.shapes, self.dtype)

    def forward(self, inputs, device):
        return getattr(F, self.func)(list(inputs)),

    def forward_expected(self, inputs):
        return getattr(np, self.func)(inputs),


def test_hvdstack_errors_name_function():
    a = np.ones((2, 3), np.float32)
    with pytest.raises(InvalidType, match='Hstack'):
        F.hstack([a, np.ones((3, 3), np.float32)])
    with pytest.raises(InvalidType, match='Vstack'):
        F.vstack([np.ones(3, np.float32), np.ones(4, np.float32)])
    with pytest.raises(InvalidType, match='Dstack'):
        F.dstack([a, np.ones((2, 2), np.float32)])


def test_concat_backward_to_selected_inputs():
    a = Variable(np.ones((2, 3), np.float32))
    b = np.zeros((2, 2), np.float32)
    y = F.concat((a, b))
    y.grad = np.arange(10, dtype=np.float32).reshape(2, 5)
    y.backward()
    np.testing.assert_array_equal(a.grad, [[0, 1, 2], [5, 6, 7]])
