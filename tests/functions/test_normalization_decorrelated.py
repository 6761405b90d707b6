import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _groups_of(x, groups):
    c = x.shape[1]
    return np.moveaxis(x, 1, 0).reshape(groups, c // groups, -1)


def _ungroup(y, shape):
    return np.moveaxis(y.reshape((shape[1], shape[0]) + shape[2:]), 0, 1)


def _zca_reference(x, groups, eps):
    """Whitening by the inverse square root of the covariance, taken from an SVD."""
    xg = _groups_of(x.astype(np.float64), groups)
    out, whitens, means = [], [], []
    for xi in xg:
        mean = xi.mean(axis=1)
        xc = xi - mean[:, None]
        cov = xc @ xc.T / xi.shape[1] + eps * np.eye(xi.shape[0])
        u, s, _ = np.linalg.svd(cov)
        w = u @ np.diag(s ** -0.5) @ u.T
        out.append(w @ xc)
        whitens.append(w)
        means.append(mean)
    return _ungroup(np.stack(out), x.shape).astype(x.dtype), np.stack(means), np.stack(whitens)


def _tolerances(case, dtype):
    if dtype == np.float32:
        case.check_forward_options = {'atol': 1e-3, 'rtol': 1e-3}
        case.check_backward_options = {'atol': 1e-2, 'rtol': 1e-2, 'dtype': np.float64}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2, 'dtype': np.float64}
    else:
        case.check_forward_options = {'atol': 1e-9, 'rtol': 1e-8}
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}


_CASES = [((5, 4), 2), ((6, 6, 2), 3), ((1, 4, 3, 2), 1), ((7, 3), 1), ((7, 2, 3), 2),
          ((4, 32, 3), 16)]


@testing.parameterize(*testing.product({
    'case': _CASES,
    'dtype': [np.float32, np.float64],
}))
class TestDecorrelatedBatchNormalization(testing.FunctionTestCase):
    skip_double_backward_test = True  # as in Chainer
    eps = 2e-5

    def setUp(self):
        _tolerances(self, self.dtype)
        self.shape, self.groups = self.case

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        if self.groups == 16:  # the default
            return F.decorrelated_batch_normalization(inputs[0]),
        return F.decorrelated_batch_normalization(inputs[0], groups=self.groups),

    def forward_expected(self, inputs):
        return _zca_reference(inputs[0], self.groups, self.eps)[0],


@testing.parameterize(*testing.product({
    'case': _CASES,
    'dtype': [np.float32, np.float64],
}))
class TestFixedDecorrelatedBatchNormalization(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self, self.dtype)
        self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4} \
            if self.dtype == np.float32 else {'atol': 1e-12, 'rtol': 1e-10}
        self.shape, self.groups = self.case

    def generate_inputs(self):
        c = self.shape[1] // self.groups
        x = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        mean = np.random.uniform(-1, 1, (self.groups, c)).astype(self.dtype)
        projection = np.random.uniform(-1, 1, (self.groups, c, c)).astype(self.dtype)
        return x, mean, projection

    def forward(self, inputs, device):
        if self.groups == 16:
            return F.fixed_decorrelated_batch_normalization(*inputs),
        return F.fixed_decorrelated_batch_normalization(*inputs, groups=self.groups),

    def forward_expected(self, inputs):
        x, mean, projection = inputs
        xg = _groups_of(x, self.groups)
        y = np.stack([p @ (xi - mu[:, None]) for p, xi, mu in zip(projection, xg, mean)])
        return _ungroup(y, x.shape).astype(x.dtype),


def test_output_is_white():
    x = np.random.RandomState(0).randn(50, 6, 2) @ np.random.RandomState(1).randn(2, 2)
    y = F.decorrelated_batch_normalization(x, groups=2, eps=1e-8).array
    for yi in _groups_of(y, 2):
        np.testing.assert_allclose(yi.mean(axis=1), 0, atol=1e-10)
        np.testing.assert_allclose(yi @ yi.T / yi.shape[1], np.eye(3), atol=1e-6)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_running_statistics(dtype):
    rng = np.random.RandomState(2)
    x = rng.randn(6, 4, 3).astype(dtype)
    mean0 = rng.randn(2, 2).astype(dtype)
    proj0 = rng.randn(2, 2, 2).astype(dtype)
    running_mean, running_projection = mean0.copy(), proj0.copy()
    F.decorrelated_batch_normalization(x, groups=2, running_mean=running_mean,
                                       running_projection=running_projection, decay=0.7)
    _, mean, whiten = _zca_reference(x.astype(np.float64), 2, 2e-5)
    m = 18
    tol = {'rtol': 1e-4, 'atol': 1e-5} if dtype == np.float32 else {'rtol': 1e-9}
    np.testing.assert_allclose(running_mean, 0.7 * mean0 + 0.3 * mean, **tol)
    np.testing.assert_allclose(running_projection, 0.7 * proj0 + 0.3 * m / (m - 1) * whiten,
                               **tol)
    assert running_mean.dtype == running_projection.dtype == dtype


def test_double_backward_is_refused():
    x = Variable(np.random.randn(4, 2))
    y = F.decorrelated_batch_normalization(x, groups=1)
    gx, = tracegrad.grad([F.sum(y * y * np.arange(8.).reshape(4, 2))], [x],
                         enable_double_backprop=True)
    with pytest.raises(RuntimeError, match='decorrelated_batch_normalization does not support '
                                           'double'):
        F.sum(gx).backward()


def test_errors():
    x = np.zeros((4, 6), np.float32)
    with pytest.raises(InvalidType, match='DecorrelatedBatchNormalization'):
        F.decorrelated_batch_normalization(x, groups=4)
    with pytest.raises(InvalidType, match='DecorrelatedBatchNormalization'):
        F.decorrelated_batch_normalization(np.zeros(6, np.float32), groups=1)
    with pytest.raises(InvalidType, match='DecorrelatedBatchNormalization'):
        F.decorrelated_batch_normalization(np.zeros((4, 6), np.int32), groups=2)
    with pytest.raises(ValueError, match='decorrelated_batch_normalization: groups'):
        F.decorrelated_batch_normalization(x, groups=0)
    with pytest.raises(TypeError, match='decorrelated_batch_normalization got unexpected'):
        F.decorrelated_batch_normalization(x, groups=2, axis=0)
    with pytest.raises(ValueError, match='decorrelated_batch_normalization: running_projection'):
        F.decorrelated_batch_normalization(x, groups=2, running_projection=np.zeros((2, 3)))
    with pytest.raises(InvalidType, match='FixedDecorrelatedBatchNormalization'):
        F.fixed_decorrelated_batch_normalization(x, np.zeros((2, 3), np.float32),
                                                 np.zeros((2, 3, 2), np.float32), groups=2)
    with pytest.raises(InvalidType, match='FixedDecorrelatedBatchNormalization'):
        F.fixed_decorrelated_batch_normalization(x, np.zeros((2, 3)),
                                                 np.zeros((2, 3, 3)), groups=2)
    with pytest.raises(TypeError, match='fixed_decorrelated_batch_normalization: groups'):
        F.fixed_decorrelated_batch_normalization(x, np.zeros((2, 3), np.float32),
                                                 np.zeros((2, 3, 3), np.float32), groups=2.)
