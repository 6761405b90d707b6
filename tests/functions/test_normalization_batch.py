import warnings

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _bn_reference(x, gamma, beta, axes, eps, mean=None, var=None):
    """Batch normalization in plain NumPy (float64), given or batch statistics."""
    kept = [i for i in range(x.ndim) if i not in axes]
    shape = [x.shape[i] if i in kept else 1 for i in range(x.ndim)]
    x64 = x.astype(np.float64)
    if mean is None:
        mean = x64.mean(axis=axes)
        var = x64.var(axis=axes)
    mean = np.reshape(mean, shape)
    std = np.sqrt(np.reshape(var, shape).astype(np.float64) + eps)
    y = gamma.reshape(shape) * (x64 - mean) / std + beta.reshape(shape)
    return y.astype(x.dtype)


def _tolerances(case, dtype):
    if dtype == np.float32:
        case.check_forward_options = {'atol': 1e-4, 'rtol': 1e-3}
        case.check_backward_options = {'atol': 1e-2, 'rtol': 1e-2, 'dtype': np.float64}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2,
                                              'dtype': np.float64}
    else:
        case.check_forward_options = {'atol': 1e-10, 'rtol': 1e-9}
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}


# (x shape, gamma shape, axis): default axes, explicit axes, a 2-d channel shape,
# a batch of 1 with spatial axes (statistics over H, W).
_CASES = [
    ((5, 3), (3,), None),
    ((2, 3, 4, 3), (3,), None),
    ((1, 3, 2, 3), (3,), None),
    ((3, 2, 5), (2, 5), None),
    ((4, 3, 5), (3,), (0, 2)),
    ((4, 3, 5), (5,), (0, 1)),
    ((4, 3, 5), (4, 5), 1),
]


@testing.parameterize(*testing.product({
    'case': _CASES,
    'dtype': [np.float32, np.float64],
}))
class TestBatchNormalization(testing.FunctionTestCase):
    eps = 2e-5

    def setUp(self):
        _tolerances(self, self.dtype)
        self.x_shape, self.gamma_shape, self.axis = self.case

    def _axes(self):
        if self.axis is None:
            return (0,) + tuple(range(len(self.gamma_shape) + 1, len(self.x_shape)))
        return (self.axis,) if isinstance(self.axis, int) else self.axis

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        gamma = np.random.uniform(0.5, 1.5, self.gamma_shape).astype(self.dtype)
        beta = np.random.uniform(-1, 1, self.gamma_shape).astype(self.dtype)
        return x, gamma, beta

    def forward(self, inputs, device):
        x, gamma, beta = inputs
        kwargs = {'eps': self.eps}
        if self.axis is not None:
            kwargs['axis'] = self.axis
        return F.batch_normalization(x, gamma, beta, **kwargs),

    def forward_expected(self, inputs):
        x, gamma, beta = inputs
        return _bn_reference(x, gamma, beta, self._axes(), self.eps),


@testing.parameterize(*testing.product({
    'case': _CASES[:5],
    'dtype': [np.float32, np.float64],
}))
class TestFixedBatchNormalization(testing.FunctionTestCase):
    eps = 2e-5

    def setUp(self):
        _tolerances(self, self.dtype)
        self.x_shape, self.gamma_shape, self.axis = self.case

    def generate_inputs(self):
        shape = self.gamma_shape
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        gamma = np.random.uniform(0.5, 1.5, shape).astype(self.dtype)
        beta = np.random.uniform(-1, 1, shape).astype(self.dtype)
        mean = np.random.uniform(-1, 1, shape).astype(self.dtype)
        var = np.random.uniform(0.5, 1.5, shape).astype(self.dtype)
        return x, gamma, beta, mean, var

    def forward(self, inputs, device):
        x, gamma, beta, mean, var = inputs
        return F.fixed_batch_normalization(x, gamma, beta, mean, var, eps=self.eps,
                                           axis=self.axis),

    def forward_expected(self, inputs):
        x, gamma, beta, mean, var = inputs
        axes = self.axis
        if axes is None:
            axes = (0,) + tuple(range(len(self.gamma_shape) + 1, len(self.x_shape)))
        return _bn_reference(x, gamma, beta, axes, self.eps, mean, var),


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('x_shape', [(5, 3), (2, 3, 2, 2)])
def test_running_statistics_update_in_place(dtype, x_shape):
    x = np.random.uniform(-2, 2, x_shape).astype(dtype)
    gamma = np.ones(3, dtype)
    beta = np.zeros(3, dtype)
    running_mean = np.random.uniform(-1, 1, 3).astype(dtype)
    running_var = np.random.uniform(0.5, 1.5, 3).astype(dtype)
    mean_before, var_before = running_mean.copy(), running_var.copy()
    mean_id, var_id = id(running_mean), id(running_var)
    decay = 0.7

    F.batch_normalization(x, gamma, beta, running_mean=running_mean,
                          running_var=running_var, decay=decay)

    axes = (0,) + tuple(range(2, x.ndim))
    m = x.size // 3
    batch_mean = x.astype(np.float64).mean(axis=axes)
    unbiased_var = x.astype(np.float64).var(axis=axes) * m / (m - 1)
    tol = {'rtol': 1e-5, 'atol': 1e-6} if dtype == np.float32 else {'rtol': 1e-12}
    np.testing.assert_allclose(running_mean, decay * mean_before + (1 - decay) * batch_mean,
                               **tol)
    np.testing.assert_allclose(running_var, decay * var_before + (1 - decay) * unbiased_var,
                               **tol)
    assert id(running_mean) == mean_id and id(running_var) == var_id
    assert running_mean.dtype == dtype and running_var.dtype == dtype


def test_running_statistics_default_decay_and_axis():
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    running_mean = np.zeros(3)
    running_var = np.ones(3)
    F.batch_normalization(x, np.ones(3), np.zeros(3), running_mean=running_mean,
                          running_var=running_var)
    # mean over rows: [4.5, 5.5, 6.5]; unbiased variance of 0, 3, 6, 9: 15
    np.testing.assert_allclose(running_mean, 0.1 * np.array([4.5, 5.5, 6.5]))
    np.testing.assert_allclose(running_var, 0.9 + 0.1 * 15.0)


def test_running_statistics_with_explicit_axis():
    x = np.random.uniform(-1, 1, (4, 3, 5))
    running_mean = np.zeros(5)
    running_var = np.zeros(5)
    F.batch_normalization(x, np.ones(5), np.zeros(5), running_mean=running_mean,
                          running_var=running_var, decay=0.5, axis=(0, 1))
    np.testing.assert_allclose(running_mean, 0.5 * x.mean(axis=(0, 1)))
    np.testing.assert_allclose(running_var, 0.5 * x.var(axis=(0, 1), ddof=1))


def test_running_statistics_repeated_calls_accumulate():
    rm, rv = np.zeros(2, np.float32), np.ones(2, np.float32)
    x = np.array([[1., 2.], [3., 6.]], np.float32)
    for _ in range(2):
        F.batch_normalization(x, np.ones(2, np.float32), np.zeros(2, np.float32),
                              running_mean=rm, running_var=rv, decay=0.5)
    np.testing.assert_allclose(rm, [1.5, 3.0])        # 0 -> 1 -> 1.5 (means 2, 4)
    np.testing.assert_allclose(rv, [1.75, 6.25])      # var 2, 8: 1 -> 1.5 -> 1.75 ...


def test_batch_of_one_warns_and_gives_beta():
    x = np.random.uniform(-1, 1, (1, 3)).astype(np.float32)
    beta = np.array([0.5, -1., 2.], np.float32)
    with pytest.warns(UserWarning, match='batch_normalization'):
        y = F.batch_normalization(x, np.ones(3, np.float32), beta)
    np.testing.assert_allclose(y.array, [beta], atol=1e-6)


def test_batch_of_one_with_spatial_axes_does_not_warn():
    x = np.random.uniform(-1, 1, (1, 2, 3, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = F.batch_normalization(x, np.ones(2, np.float32), np.zeros(2, np.float32))
    np.testing.assert_allclose(y.array.mean(axis=(0, 2, 3)), 0, atol=1e-5)


def test_mixed_dtypes_keep_x_dtype():
    x = Variable(np.random.uniform(-1, 1, (4, 3)).astype(np.float32))
    gamma = Variable(np.random.uniform(0.5, 1.5, 3))
    beta = Variable(np.random.uniform(-1, 1, 3))
    y = F.batch_normalization(x, gamma, beta)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.array, _bn_reference(x.array, gamma.array, beta.array,
                                                      (0,), 2e-5), rtol=1e-5, atol=1e-5)
    y.grad = np.ones_like(y.array)
    y.backward()
    assert x.grad.dtype == np.float32 and gamma.grad.dtype == np.float64
    np.testing.assert_allclose(beta.grad, [4., 4., 4.])


def test_double_backward_through_gamma_only():
    # The second-order path exists for every input (Chainer supports double backprop).
    x = Variable(np.random.uniform(-1, 1, (4, 3)))
    gamma = Variable(np.random.uniform(0.5, 1.5, 3))
    y = F.batch_normalization(x, gamma, np.zeros(3))
    y.grad = np.random.uniform(-1, 1, y.shape)
    y.backward(enable_double_backprop=True)
    assert x.grad_var.creator_node is not None


def test_axis_argument_errors():
    x = np.zeros((2, 3, 4), np.float32)
    g = np.ones(3, np.float32)
    with pytest.raises(ValueError, match='batch_normalization.*ascending'):
        F.batch_normalization(x, g, g, axis=(2, 0))
    with pytest.raises(TypeError, match='batch_normalization.*axis'):
        F.batch_normalization(x, g, g, axis='0')
    with pytest.raises(ValueError, match='fixed_batch_normalization.*ascending'):
        F.fixed_batch_normalization(x, g, g, g, g, axis=(2, 2))
    with pytest.raises(InvalidType, match='BatchNormalization'):
        F.batch_normalization(x, np.ones(4, np.float32), np.ones(4, np.float32), axis=(0, 5))


def test_keyword_errors():
    x = np.zeros((2, 3), np.float32)
    g = np.ones(3, np.float32)
    with pytest.raises(ValueError, match='train argument is not supported'):
        F.batch_normalization(x, g, g, train=True)
    with pytest.raises(TypeError, match='batch_normalization.*unexpected.*foo'):
        F.batch_normalization(x, g, g, foo=1)
    with pytest.raises(ValueError, match='running_mean and running_var'):
        F.batch_normalization(x, g, g, running_mean=np.zeros(3, np.float32))
    with pytest.raises(ValueError, match='batch_normalization: running_var.shape'):
        F.batch_normalization(x, g, g, running_mean=np.zeros(3, np.float32),
                              running_var=np.zeros(4, np.float32))


@pytest.mark.parametrize('x_shape,gamma_shape,beta_shape,gamma_dtype,match', [
    ((2, 3), (4,), (4,), np.float32, r'x.shape\[1\] == gamma.shape\[0\]'),
    ((2, 3, 4), (3, 5), (3, 5), np.float32, r'x.shape\[2\] == gamma.shape\[1\]'),
    ((2, 3), (3,), (2,), np.float32, 'gamma.shape == beta.shape'),
    ((2, 3), (3,), (3,), np.int32, "gamma.dtype.kind == 'f'"),
    ((2, 3), (2, 3), (2, 3), np.float32, 'gamma.ndim == 1'),
])
def test_bad_inputs_name_function(x_shape, gamma_shape, beta_shape, gamma_dtype, match):
    x = np.zeros(x_shape, np.float32)
    gamma = np.ones(gamma_shape, gamma_dtype)
    beta = np.zeros(beta_shape, gamma_dtype)
    with pytest.raises(InvalidType, match=r'(?s)BatchNormalization.*' + match):
        F.batch_normalization(x, gamma, beta)


def test_fixed_bad_statistics_shape_and_dtype():
    x = np.zeros((2, 3), np.float32)
    g = np.ones(3, np.float32)
    with pytest.raises(InvalidType, match=r'(?s)FixedBatchNormalization.*mean.shape'):
        F.fixed_batch_normalization(x, g, g, np.zeros(2, np.float32), g)
    with pytest.raises(InvalidType, match=r'(?s)FixedBatchNormalization.*var.dtype'):
        F.fixed_batch_normalization(x, g, g, g, np.ones(3))
    with pytest.raises(InvalidType, match="x.dtype.kind == 'f'"):
        F.fixed_batch_normalization(np.zeros((2, 3), np.int32), g, g, g, g)


def test_integer_x_rejected():
    with pytest.raises(InvalidType, match="(?s)BatchNormalization.*x.dtype.kind == 'f'"):
        F.batch_normalization(np.zeros((2, 3), np.int32), np.ones(3, np.float32),
                              np.ones(3, np.float32))


def test_fixed_equals_batch_with_batch_statistics():
    x = np.random.uniform(-1, 1, (6, 4)).astype(np.float64)
    gamma, beta = np.random.uniform(0.5, 1, 4), np.random.uniform(-1, 1, 4)
    y1 = F.batch_normalization(x, gamma, beta, eps=1e-3)
    y2 = F.fixed_batch_normalization(x, gamma, beta, x.mean(axis=0), x.var(axis=0), eps=1e-3)
    np.testing.assert_allclose(y1.array, y2.array, rtol=1e-12)
    assert tracegrad.functions.batch_normalization is F.batch_normalization
