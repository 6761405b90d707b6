import warnings

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _brn_reference(x, gamma, beta, rmax, dmax, eps, running_mean, running_var):
    """Batch renormalization in plain NumPy (float64); returns y, r, d."""
    axes = (0,) + tuple(range(1 + gamma.ndim, x.ndim))
    shape = [1] + list(gamma.shape) + [1] * (x.ndim - 1 - gamma.ndim)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes)
    std = np.sqrt(x64.var(axis=axes) + eps)
    running_std = np.sqrt(running_var.astype(np.float64) + eps)
    r = np.clip(std / running_std, 1 / rmax, rmax)
    d = np.clip((mean - running_mean) / running_std, -dmax, dmax)
    x_hat = (x64 - mean.reshape(shape)) / std.reshape(shape)
    y = gamma.reshape(shape) * (x_hat * r.reshape(shape) + d.reshape(shape)) + \
        beta.reshape(shape)
    return y.astype(x.dtype), r, d


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


# r and d are constants for the gradient (as in the paper and Chainer), so the
# numerical gradient agrees where they are clipped ('clipped': the running
# statistics are far from the batch's) or trivially constant (rmax=1, dmax=0).
@testing.parameterize(*testing.product({
    'case': [((5, 3), (3,)), ((2, 3, 4, 3), (3,)), ((1, 3, 2, 3), (3,)), ((3, 2, 5), (2, 5))],
    'limits': ['clipped', 'batchnorm'],
    'dtype': [np.float32, np.float64],
}))
class TestBatchRenormalization(testing.FunctionTestCase):
    eps = 2e-5

    def setUp(self):
        _tolerances(self, self.dtype)
        self.x_shape, self.gamma_shape = self.case
        if self.limits == 'clipped':
            self.rmax, self.dmax = 3., 0.2
            self.running_mean = np.full(self.gamma_shape, 5., self.dtype)
            self.running_var = np.full(self.gamma_shape, 100., self.dtype)
        else:
            self.rmax, self.dmax = 1, 0
            self.running_mean = np.random.uniform(-1, 1, self.gamma_shape).astype(self.dtype)
            self.running_var = np.random.uniform(0.5, 1, self.gamma_shape).astype(self.dtype)

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        gamma = np.random.uniform(.5, 1, self.gamma_shape).astype(self.dtype)
        beta = np.random.uniform(-1, 1, self.gamma_shape).astype(self.dtype)
        return x, gamma, beta

    def forward(self, inputs, device):
        x, gamma, beta = inputs
        return F.batch_renormalization(x, gamma, beta, self.rmax, self.dmax, self.eps,
                                       device.send(self.running_mean),
                                       device.send(self.running_var)),

    def forward_expected(self, inputs):
        y, r, d = _brn_reference(*inputs, self.rmax, self.dmax, self.eps,
                                 self.running_mean, self.running_var)
        if self.limits == 'clipped':  # the case is what it claims to be
            np.testing.assert_allclose(r, 1 / self.rmax)
            np.testing.assert_allclose(np.abs(d), self.dmax)
        return y,


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_unclipped_correction_and_its_gradient(dtype):
    """With r and d inside their limits: the output, and a gradient that holds them fixed."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (6, 3, 2)).astype(dtype)
    gamma = rng.uniform(.5, 1, 3).astype(dtype)
    beta = rng.uniform(-1, 1, 3).astype(dtype)
    running_mean = np.array([0.1, -0.1, 0.05], dtype)
    running_var = np.array([0.4, 0.3, 0.5], dtype)
    y_ref, r, d = _brn_reference(x, gamma, beta, 5., 1., 2e-5, running_mean, running_var)
    assert np.all((r > 1 / 5.) & (r < 5.) & (r != 1)) and np.all(np.abs(d) < 1)
    xv, gv, bv = Variable(x), Variable(gamma), Variable(beta)
    y = F.batch_renormalization(xv, gv, bv, 5., 1., running_mean=running_mean,
                                running_var=running_var)
    tol = {'rtol': 1e-4, 'atol': 1e-5} if dtype == np.float32 else {'rtol': 1e-10}
    np.testing.assert_allclose(y.array, y_ref, **tol)
    gy = rng.uniform(-1, 1, x.shape).astype(dtype)
    y.grad = gy
    y.backward()
    # by hand: batch normalization's gradient with gamma * r as the scale
    x64, gy64 = x.astype(np.float64), gy.astype(np.float64)
    mean = x64.mean(axis=(0, 2), keepdims=True)
    std = np.sqrt(x64.var(axis=(0, 2), keepdims=True) + 2e-5)
    x_hat = (x64 - mean) / std
    scale = (gamma * r).reshape(1, 3, 1)
    gx = scale / std * (gy64 - gy64.mean(axis=(0, 2), keepdims=True)
                        - x_hat * (gy64 * x_hat).mean(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(xv.grad, gx, **tol)
    np.testing.assert_allclose(gv.grad, (gy64 * (x_hat * r.reshape(1, 3, 1)
                                                 + d.reshape(1, 3, 1))).sum(axis=(0, 2)), **tol)
    np.testing.assert_allclose(bv.grad, gy64.sum(axis=(0, 2)), **tol)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_update_statistics(dtype):
    rng = np.random.RandomState(1)
    x = rng.randn(4, 3, 5).astype(dtype)
    gamma, beta = np.ones(3, dtype), np.zeros(3, dtype)
    mean0, var0 = rng.rand(3).astype(dtype), rng.rand(3).astype(dtype) + 0.5
    running_mean, running_var = mean0.copy(), var0.copy()
    y_ref, _, _ = _brn_reference(x, gamma, beta, 2., .5, 2e-5, mean0, var0)
    y = F.batch_renormalization(x, gamma, beta, 2., .5, running_mean=running_mean,
                                running_var=running_var, decay=0.7, update_statistics=True)
    # r and d come from the statistics before the update
    np.testing.assert_allclose(y.array, y_ref, rtol=1e-4)
    m = 20
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(running_mean, 0.7 * mean0 + 0.3 * x64.mean(axis=(0, 2)),
                               rtol=1e-5)
    np.testing.assert_allclose(running_var,
                               0.7 * var0 + 0.3 * m / (m - 1) * x64.var(axis=(0, 2)), rtol=1e-5)
    assert running_mean.dtype == dtype
    # the default does not update
    before = running_mean.copy(), running_var.copy()
    F.batch_renormalization(x, gamma, beta, 2., .5, running_mean=running_mean,
                            running_var=running_var)
    np.testing.assert_array_equal(running_mean, before[0])
    np.testing.assert_array_equal(running_var, before[1])


def test_rmax_one_dmax_zero_is_batch_normalization():
    rng = np.random.RandomState(2)
    x = rng.randn(5, 4).astype(np.float32)
    gamma, beta = rng.rand(4).astype(np.float32), rng.rand(4).astype(np.float32)
    y = F.batch_renormalization(x, gamma, beta, 1, 0, running_mean=rng.rand(4),
                                running_var=rng.rand(4))
    np.testing.assert_allclose(y.array, F.batch_normalization(x, gamma, beta).array,
                               rtol=1e-5, atol=1e-6)


def test_fixed_batch_renormalization_is_deprecated_fixed_batch_normalization():
    rng = np.random.RandomState(3)
    x = rng.randn(3, 4, 2)
    gamma, beta, mean, var = rng.rand(4), rng.rand(4), rng.rand(4), rng.rand(4) + 0.1
    with pytest.warns(DeprecationWarning, match='fixed_batch_renormalization'):
        y = F.fixed_batch_renormalization(x, gamma, beta, mean, var, eps=1e-3)
    expected = gamma.reshape(1, 4, 1) * (x - mean.reshape(1, 4, 1)) / \
        np.sqrt(var.reshape(1, 4, 1) + 1e-3) + beta.reshape(1, 4, 1)
    np.testing.assert_allclose(y.array, expected, rtol=1e-12)


def test_errors():
    x = np.zeros((4, 3), np.float32)
    g = np.ones(3, np.float32)
    stats = {'running_mean': np.zeros(3, np.float32), 'running_var': np.ones(3, np.float32)}
    with pytest.raises(TypeError, match='batch_renormalization: running_mean is required'):
        F.batch_renormalization(x, g, g, 2, 1, running_var=stats['running_var'])
    with pytest.raises(TypeError, match='batch_renormalization: running_var is required'):
        F.batch_renormalization(x, g, g, 2, 1, running_mean=stats['running_mean'])
    with pytest.raises(ValueError, match='batch_renormalization: running_mean.shape'):
        F.batch_renormalization(x, g, g, 2, 1, running_mean=np.zeros(2, np.float32),
                                running_var=stats['running_var'])
    with pytest.raises(ValueError, match='batch_renormalization: rmax'):
        F.batch_renormalization(x, g, g, 0.5, 1, **stats)
    with pytest.raises(ValueError, match='batch_renormalization: dmax'):
        F.batch_renormalization(x, g, g, 2, -1, **stats)
    with pytest.raises(InvalidType, match='BatchRenormalization'):
        F.batch_renormalization(np.zeros((4, 2), np.float32), g, g, 2, 1, **stats)
    with pytest.raises(InvalidType, match='BatchRenormalization'):
        F.batch_renormalization(np.zeros((4, 3), np.int32), g, g, 2, 1, **stats)
    with pytest.raises(InvalidType, match='BatchRenormalization'):
        F.batch_renormalization(x, g, g.astype(np.float64), 2, 1, **stats)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with tracegrad.using_config('train', True):
            F.batch_renormalization(x + np.arange(4.)[:, None].astype(np.float32), g, g, 2, 1,
                                    **stats)
