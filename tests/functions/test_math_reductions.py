"""Reductions: sum, mean/average, max, min, prod, logsumexp, argmax, argmin."""
import numpy as np
import pytest

import tracegrad
from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
    else:
        case.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5}


def _distinct(shape, dtype, seed=0):
    """Values at least 0.1 apart, so that max/min have no ties under finite differences."""
    size = int(np.prod(shape))
    values = np.random.RandomState(seed).permutation(size) * 0.2 - 0.1 * size
    return values.reshape(shape).astype(dtype)


_AXES = [((3, 4), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 5), (0, 2)), ((2, 3, 5), (2, -3)),
         ((1, 7), 1), ((5,), 0), ((), None)]


@testing.parameterize(*testing.product({
    'func': ['sum', 'mean', 'max', 'min', 'prod'],
    'shape_axis': _AXES,
    'keepdims': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestReduction(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.shape, self.axis = self.shape_axis

    def generate_inputs(self):
        if self.func in ('max', 'min'):
            return _distinct(self.shape, self.dtype),
        low = 0.5 if self.func == 'prod' else -1
        return np.random.uniform(low, 1.5, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        x, = inputs
        return getattr(F, self.func)(x, axis=self.axis, keepdims=self.keepdims),

    def forward_expected(self, inputs):
        x, = inputs
        y = getattr(np, self.func)(x, axis=self.axis, keepdims=self.keepdims)
        return np.asarray(y, dtype=self.dtype),


@testing.parameterize(*testing.product({
    'shape_axis': [((3, 4), None), ((3, 4), 1), ((2, 3, 5), (0, 2)), ((1,), 0), ((), None)],
    'dtype': [np.float32, np.float64],
}))
class TestLogSumExp(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.shape, self.axis = self.shape_axis

    def generate_inputs(self):
        return np.random.uniform(-2, 2, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.logsumexp(inputs[0], axis=self.axis),

    def forward_expected(self, inputs):
        x, = inputs
        return np.asarray(np.log(np.sum(np.exp(x), axis=self.axis)), dtype=self.dtype),


def test_logsumexp_large_values_do_not_overflow():
    x = np.array([[1000., 1000.], [-1000., -1000.]], np.float32)
    y = F.logsumexp(x, axis=1)
    np.testing.assert_allclose(y.array, [1000 + np.log(2), -1000 + np.log(2)], rtol=1e-6)


@testing.parameterize(*testing.product({
    'shape_axis': [((5,), None), ((3, 4), 1), ((2, 3, 4), 0)],
    'dtype': [np.float32, np.float64],
}))
class TestWeightedAverage(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.shape, self.axis = self.shape_axis

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        w_shape = self.shape if self.axis is None else (self.shape[self.axis],)
        w = np.random.uniform(0.5, 1.5, w_shape).astype(self.dtype)
        return x, w

    def forward(self, inputs, device):
        x, w = inputs
        return F.average(x, axis=self.axis, weights=w),

    def forward_expected(self, inputs):
        x, w = inputs
        return np.asarray(np.average(x, axis=self.axis, weights=w), dtype=self.dtype),


def test_average_keepdims_and_returned_match_numpy():
    x = np.random.uniform(-1, 1, (3, 4))
    w = np.array([1., 2., 3., 4.])
    y, total = F.average(x, axis=1, weights=w, keepdims=True, returned=True)
    avg, scl = np.average(x, axis=1, weights=w, keepdims=True, returned=True)
    np.testing.assert_allclose(y.array, avg)
    np.testing.assert_allclose(total.array, scl)
    y, count = F.average(x, axis=0, returned=True)
    np.testing.assert_allclose(y.array, x.mean(axis=0))
    np.testing.assert_array_equal(count.array, [3., 3., 3., 3.])


def test_mean_is_average_and_variable_mean():
    x = Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert F.mean is F.average
    np.testing.assert_allclose(x.mean(axis=1).array, [1., 4.])
    np.testing.assert_allclose(x.mean(weights=np.array([1., 3.], np.float32), axis=0).array,
                               [2.25, 3.25, 4.25])


def test_average_bad_weights():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match='average: weights must be 1-D'):
        F.average(x, axis=1, weights=np.ones(2, np.float32))
    with pytest.raises(ValueError, match='average: weights must have the shape of x'):
        F.average(x, weights=np.ones(3, np.float32))
    with pytest.raises(ValueError, match='average: a tuple axis'):
        F.average(x, axis=(0, 1), weights=np.ones((2, 3), np.float32))


def test_max_gradient_goes_to_every_tied_maximum():
    x = Variable(np.array([[1., 3., 3.], [2., 0., -1.]], np.float32))
    F.sum(F.max(x, axis=1)).backward()
    np.testing.assert_array_equal(x.grad, [[0., 1., 1.], [1., 0., 0.]])


def test_prod_gradient_with_zeros():
    x = Variable(np.array([[2., 0., 3.], [2., 4., 5.], [0., 0., 1.]]))
    F.sum(F.prod(x, axis=1)).backward()
    np.testing.assert_allclose(x.grad, [[0., 6., 0.], [20., 10., 8.], [0., 0., 0.]])
    # With one zero, the Hessian row of the zero is the products of pairs of the others.
    x = Variable(np.array([1.5, 0., 2.]))
    gx, = tracegrad.grad([F.prod(x)], [x], enable_double_backprop=True)
    np.testing.assert_allclose(gx.array, [0., 3., 0.])
    ggx, = tracegrad.grad([F.sum(gx * np.array([0., 1., 0.]))], [x])
    np.testing.assert_allclose(ggx.array, [2., 0., 1.5])


@testing.parameterize(*testing.product({
    'func': ['argmax', 'argmin'],
    'shape_axis': [((3, 4), None), ((3, 4), 0), ((2, 3, 5), -1), ((7,), 0)],
}))
class TestArgExtremum(testing.FunctionTestCase):
    skip_backward_test = True  # indices have no gradient
    skip_double_backward_test = True

    def setUp(self):
        self.shape, self.axis = self.shape_axis

    def generate_inputs(self):
        return _distinct(self.shape, np.float32),

    def forward(self, inputs, device):
        return getattr(F, self.func)(inputs[0], axis=self.axis),

    def forward_expected(self, inputs):
        return np.asarray(getattr(np, self.func)(inputs[0], axis=self.axis), np.int32),


def test_argmax_gives_no_gradient():
    x = Variable(np.array([1., 3., 2.], np.float32))
    y = F.argmax(x)
    assert y.dtype == np.int32 and int(y.array) == 1
    z = F.sum(x * 2.0)
    z.backward()
    np.testing.assert_array_equal(x.grad, [2., 2., 2.])


@pytest.mark.parametrize('func', ['sum', 'mean', 'max', 'min', 'prod', 'logsumexp'])
def test_reduction_bad_axis(func):
    f = getattr(F, func)
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'x.ndim > 2'):
        f(x, axis=2)
    with pytest.raises(InvalidType, match=r'x.ndim >= 3'):
        f(x, axis=-3)
    with pytest.raises(ValueError, match='duplicate value in axis'):
        f(x, axis=(1, 1))
    with pytest.raises(InvalidType, match='distinct axes'):
        f(x, axis=(1, -1))
    with pytest.raises(TypeError, match='axis must be None, an int or a tuple of ints'):
        f(x, axis=1.5)
    with pytest.raises(InvalidType, match=r'x.dtype.kind == .f.'):
        f(np.zeros((2, 3), np.int32))


@pytest.mark.parametrize('func', ['argmax', 'argmin'])
def test_arg_extremum_bad_axis(func):
    f = getattr(F, func)
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match=f'{func}: axis must be None or an int'):
        f(x, axis=(0, 1))
    with pytest.raises(InvalidType, match=r'(?s)ArgM.*x.ndim > 2'):
        f(x, axis=2)


def test_reduction_errors_name_the_function():
    with pytest.raises(InvalidType, match=r'Invalid operation is performed in: Sum'):
        F.sum(np.zeros((2,), np.float32), axis=1)
