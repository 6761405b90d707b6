"""Inverse trigonometric and hyperbolic functions, arctan2, fmod and sign."""
import numpy as np
import pytest
from test_math_elementwise import _tolerances  # the same elementwise tolerances

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType

# name: (function, NumPy reference, input range)
_UNARY = {
    'arcsin': (F.arcsin, np.arcsin, (-0.8, 0.8)),
    'arccos': (F.arccos, np.arccos, (-0.8, 0.8)),
    'arctan': (F.arctan, np.arctan, (-2, 2)),
    'arctanh': (F.arctanh, np.arctanh, (-0.8, 0.8)),
    'sinh': (F.sinh, np.sinh, (-2, 2)),
    'cosh': (F.cosh, np.cosh, (-2, 2)),
}


@testing.parameterize(*testing.product({
    'name': sorted(_UNARY),
    'shape': [(3, 2), (1,), (7,), ()],
    'dtype': [np.float32, np.float64],
}))
class TestUnary(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.func, self.reference, self.range = _UNARY[self.name]

    def generate_inputs(self):
        return np.random.uniform(*self.range, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return self.func(inputs[0]),

    def forward_expected(self, inputs):
        return np.asarray(self.reference(inputs[0]), dtype=self.dtype),


_SHAPES = [((3, 2), (3, 2)), ((3, 2), (2,)), ((1,), (5, 1)), ((), ()), ((7,), ())]


@testing.parameterize(*testing.product({
    'shapes': _SHAPES,
    'dtype': [np.float32, np.float64],
}))
class TestArctan2(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        x1 = np.random.uniform(0.3, 2, self.shapes[0]) * np.random.choice([-1, 1], self.shapes[0])
        x2 = np.random.uniform(-2, 2, self.shapes[1])
        return x1.astype(self.dtype), x2.astype(self.dtype)  # off the cut at x1 = 0, x2 < 0

    def forward(self, inputs, device):
        return F.arctan2(*inputs),

    def forward_expected(self, inputs):
        return np.arctan2(*inputs).astype(self.dtype),


@testing.parameterize(*testing.product({
    'shapes': _SHAPES,
    'dtype': [np.float32, np.float64],
}))
class TestFmod(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        while True:  # quotients off the integers, where fmod jumps
            x = np.random.uniform(-4, 4, self.shapes[0]).astype(self.dtype)
            divisor = (np.random.uniform(0.5, 2, self.shapes[1]) *
                       np.random.choice([-1, 1], self.shapes[1])).astype(self.dtype)
            q = x / divisor
            if np.all(np.abs(q - np.round(q)) > 0.1):
                return x, divisor

    def forward(self, inputs, device):
        return F.fmod(*inputs),

    def forward_expected(self, inputs):
        return np.fmod(*inputs).astype(self.dtype),


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_fmod_sign_follows_the_dividend(dtype):
    x = Variable(np.array([5.5, -5.5, 5.5, -5.5], dtype))
    d = Variable(np.array([2., 2., -2., -2.], dtype))
    y = F.fmod(x, d)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.array, [1.5, -1.5, 1.5, -1.5])
    F.sum(y).backward()
    np.testing.assert_array_equal(x.grad, np.ones(4, dtype))
    np.testing.assert_array_equal(d.grad, [-2., 2., 2., -2.])  # -fix(x / d)


@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.int32])
def test_sign(dtype):
    x = np.array([-2, 0, 3], dtype)
    for arg in (x, Variable(x) if dtype != np.int32 else x):
        y = F.sign(arg)
        assert isinstance(y, Variable) and y.dtype == dtype
        assert not y.requires_grad and y.creator is None  # outside the graph, as in Chainer
        np.testing.assert_array_equal(y.array, [-1, 0, 1])


@pytest.mark.parametrize('name', sorted(_UNARY))
def test_unary_rejects_integers(name):
    label = name.capitalize()
    with pytest.raises(InvalidType, match=rf'(?s){label}.*x.dtype.kind == .f.'):
        _UNARY[name][0](np.arange(3, dtype=np.int32))


@pytest.mark.parametrize('func', [F.arctan2, F.fmod])
def test_binary_errors(func):
    label = func.__name__.capitalize()
    i = np.arange(3, dtype=np.int32)
    with pytest.raises(InvalidType, match=rf'(?s){label}.*dtype.kind == .f.'):
        func(i, i)
    with pytest.raises(InvalidType, match=rf'(?s){label}.*dtype == '):
        func(np.zeros(3, np.float32), np.ones(3, np.float64))
    with pytest.raises(InvalidType, match=rf'(?s){label}.*broadcast'):
        func(np.zeros(2, np.float32), np.ones(3, np.float32))
