"""Elementwise math: exp/log family, sqrt, rsqrt, square, sin/cos/tan, clip, rounding,
maximum/minimum, identity, absolute."""
import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType

# name: (function, NumPy reference, input range)
_UNARY = {
    'exp': (F.exp, np.exp, (-2, 2)),
    'expm1': (F.expm1, np.expm1, (-2, 2)),
    'log': (F.log, np.log, (0.5, 3)),
    'log2': (F.log2, np.log2, (0.5, 3)),
    'log10': (F.log10, np.log10, (0.5, 3)),
    'log1p': (F.log1p, np.log1p, (-0.5, 2)),
    'sqrt': (F.sqrt, np.sqrt, (0.5, 3)),
    'rsqrt': (F.rsqrt, lambda x: 1 / np.sqrt(x), (0.5, 3)),
    'square': (F.square, np.square, (-2, 2)),
    'sin': (F.sin, np.sin, (-3, 3)),
    'cos': (F.cos, np.cos, (-3, 3)),
    'tan': (F.tan, np.tan, (-1.2, 1.2)),
    'absolute': (F.absolute, np.abs, (0.2, 2)),
    'identity': (F.identity, lambda x: x, (-1, 1)),
}


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
    else:
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5}


@testing.parameterize(*testing.product({
    'name': sorted(_UNARY),
    'shape': [(3, 2), (1,), (5,), ()],
    'dtype': [np.float32, np.float64],
}))
class TestUnary(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.func, self.reference, self.range = _UNARY[self.name]
        if self.name == 'absolute' and self.shape == ():
            # basic_math's Absolute.backward builds a Variable from xp.sign(x), a NumPy
            # scalar for 0-d x (reported to basic_math's owner); 0-d is left to its test.
            self.shape = (1,)

    def generate_inputs(self):
        x = np.random.uniform(*self.range, self.shape)
        if self.name == 'absolute':
            x *= np.random.choice([-1, 1], self.shape)
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return self.func(inputs[0]),

    def forward_expected(self, inputs):
        return np.asarray(self.reference(inputs[0]), dtype=self.dtype),


@pytest.mark.parametrize('name', sorted(set(_UNARY) - {'identity', 'absolute'}))
def test_unary_rejects_integers(name):
    with pytest.raises(InvalidType, match=r'x.dtype.kind == .f.'):
        _UNARY[name][0](np.arange(3, dtype=np.int32))


def test_identity_many_inputs():
    a = Variable(np.array([1., 2.], np.float32))
    b = Variable(np.array([3.], np.float32))
    ya, yb = F.identity(a, b)
    assert ya is not a and yb is not b
    np.testing.assert_array_equal(ya.array, a.array)
    F.sum(ya * 3.0 + F.sum(yb) * 2.0).backward()
    np.testing.assert_array_equal(a.grad, [3., 3.])
    np.testing.assert_array_equal(b.grad, [4.])


@testing.parameterize(*testing.product({
    'bounds': [(-0.5, 0.5), (None, 0.3), (-0.3, None)],
    'shape': [(3, 4), (1,), (7,)],
    'dtype': [np.float32, np.float64],
}))
class TestClip(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.shape)
        # keep away from the bounds, where the gradient jumps
        for b in self.bounds:
            if b is not None:
                x[np.abs(x - b) < 0.05] = b + 0.1
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.clip(inputs[0], *self.bounds),

    def forward_expected(self, inputs):
        return np.clip(inputs[0], *self.bounds).astype(self.dtype),


def test_clip_gradient_is_one_at_the_bounds():
    x = Variable(np.array([-2., -1., 0., 1., 2.], np.float32))
    F.sum(F.clip(x, -1., 1.)).backward()
    np.testing.assert_array_equal(x.grad, [0., 1., 1., 1., 0.])


def test_clip_bad_bounds():
    x = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match='clip: set x_min or x_max'):
        F.clip(x, None, None)
    with pytest.raises(ValueError, match='clip: x_min must be less than x_max'):
        F.clip(x, 1., 1.)
    with pytest.raises(InvalidType, match=r'(?s)Clip.*x.dtype.kind'):
        F.clip(np.zeros(3, np.int32), 0, 1)


@testing.parameterize(*testing.product({
    'func': ['maximum', 'minimum'],
    'shapes': [((3, 2), (3, 2)), ((3, 2), (2,)), ((1,), (4, 1)), ((), ()), ((5,), ())],
    'dtype': [np.float32, np.float64],
}))
class TestMaximumMinimum(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        a = np.random.uniform(-1, 1, self.shapes[0])
        b = np.random.uniform(-1, 1, self.shapes[1])
        # keep the two apart so that finite differences do not cross over
        close = np.abs(a - b) < 0.1
        a = np.where(close, a + 0.3, a)
        return a.astype(self.dtype), b.astype(self.dtype)

    def forward(self, inputs, device):
        return getattr(F, self.func)(*inputs),

    def forward_expected(self, inputs):
        return getattr(np, self.func)(*inputs).astype(self.dtype),


def test_maximum_tie_gradient_goes_to_first():
    a = Variable(np.array([1., 2.], np.float32))
    b = Variable(np.array([1., 3.], np.float32))
    F.sum(F.maximum(a, b)).backward()
    np.testing.assert_array_equal(a.grad, [1., 0.])
    np.testing.assert_array_equal(b.grad, [0., 1.])


def test_maximum_errors():
    with pytest.raises(InvalidType, match=r'x1.dtype == x2.dtype'):
        F.maximum(np.zeros(2, np.float32), np.zeros(2, np.float64))
    with pytest.raises(InvalidType, match=r'(?s)Minimum.*shapes that broadcast'):
        F.minimum(np.zeros(2, np.float32), np.zeros(3, np.float32))


@pytest.mark.parametrize('name', ['floor', 'ceil', 'fix'])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_rounding(name, dtype):
    x = Variable(np.array([-2.5, -1.5, -0.2, 0., 0.7, 1.5, 3.], dtype))
    y = getattr(F, name)(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.array, getattr(np, name)(x.array))
    F.sum(y * 1.0 + x * 2.0).backward()
    np.testing.assert_array_equal(x.grad, np.full(7, 2., dtype))  # no gradient through y


def test_log_of_base_matches_change_of_base():
    x = Variable(np.array([2., 8.]))
    F.sum(F.log2(x) + F.log10(x)).backward()
    np.testing.assert_allclose(x.grad, 1 / (x.array * np.log(2)) + 1 / (x.array * np.log(10)))
