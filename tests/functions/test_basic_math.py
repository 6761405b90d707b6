import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'op': ['add', 'sub', 'mul', 'div', 'pow'],
    'shapes': [((3, 2), (3, 2)), ((3, 2), (2,)), ((1,), (4, 1)), ((), ())],
    'dtype': [np.float32, np.float64],
}))
class TestBinary(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        a = np.random.uniform(0.5, 2, self.shapes[0]).astype(self.dtype)
        b = np.random.uniform(0.5, 2, self.shapes[1]).astype(self.dtype)
        return a, b

    def forward(self, inputs, device):
        a, b = inputs
        return {'add': a + b, 'sub': a - b, 'mul': a * b, 'div': a / b, 'pow': a ** b}[self.op],

    def forward_expected(self, inputs):
        a, b = inputs
        return {'add': a + b, 'sub': a - b, 'mul': a * b, 'div': a / b,
                'pow': a ** b}[self.op].astype(self.dtype),


@testing.parameterize(*testing.product({
    'op': ['neg', 'abs', 'radd', 'rsub', 'rmul', 'rdiv', 'rpow', 'powc', 'addc', 'divc',
           'arr_add'],
    'shape': [(3, 2), (1,), (5,)],
    'dtype': [np.float32, np.float64],
}))
class TestUnary(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(0.5, 2, self.shape).astype(self.dtype)
        x *= np.random.choice([-1, 1], self.shape) if self.op == 'abs' else 1
        return x,

    def _apply(self, x, xp_const):
        return {'neg': lambda: -x, 'abs': lambda: abs(x), 'radd': lambda: 2 + x,
                'rsub': lambda: 2 - x, 'rmul': lambda: 3 * x, 'rdiv': lambda: 2 / x,
                'rpow': lambda: 2 ** x, 'powc': lambda: x ** 3, 'addc': lambda: x + 1.5,
                'divc': lambda: x / 4, 'arr_add': lambda: x + xp_const}[self.op]()

    def forward(self, inputs, device):
        x, = inputs  # the constant array lives on the device of x
        return self._apply(x, device.send(np.arange(self.shape[-1], dtype=self.dtype))),

    def forward_expected(self, inputs):
        x, = inputs
        return np.asarray(self._apply(x, np.arange(self.shape[-1], dtype=self.dtype))
                          ).astype(self.dtype),


def test_floordiv_has_no_gradient():
    x = Variable(np.array([3.5, -1.5], np.float32))
    y = x // 2
    np.testing.assert_array_equal(y.array, [1., -1.])
    assert y.dtype == np.float32


def test_broadcast_and_dtype_errors_name_function():
    a = Variable(np.ones((2, 3), np.float32))
    with pytest.raises(InvalidType, match=r'_ \+ _.*\n\nExpect: shapes that broadcast'):
        a + Variable(np.ones((4,), np.float32))
    with pytest.raises(InvalidType, match='lhs.dtype == rhs.dtype'):
        a * Variable(np.ones((3,), np.float64))


def test_bad_operand_type():
    a = Variable(np.ones((2,), np.float32))
    with pytest.raises(TypeError, match='operand'):
        a + 'x'


def test_array_plus_variable_gives_variable():
    a = Variable(np.ones((2,), np.float32))
    y = np.ones(2, np.float32) + a
    assert isinstance(y, Variable)
    np.testing.assert_array_equal(y.array, [2., 2.])
