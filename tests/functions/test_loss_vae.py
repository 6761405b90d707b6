import math

import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing


def _reduce(loss, reduce):
    return {'sum': loss.sum(), 'mean': loss.mean(), 'no': loss}[reduce]


class _VAETestBase(testing.FunctionTestCase):
    __test__ = False

    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def _uniform(self, low, high):
        return np.random.uniform(low, high, self.shape).astype(self.dtype)


_GRID = testing.product({
    'shape': [(3, 4), (1,), (5,)],
    'dtype': [np.float32, np.float64],
    'reduce': ['sum', 'mean', 'no'],
})


@testing.parameterize(*_GRID)
class TestGaussianKLDivergence(_VAETestBase):
    def generate_inputs(self):
        return self._uniform(-1, 1), self._uniform(-1, 1)

    def forward(self, inputs, device):
        return F.gaussian_kl_divergence(*inputs, reduce=self.reduce),

    def forward_expected(self, inputs):
        mean, ln_var = (a.astype(np.float64) for a in inputs)
        loss = 0.5 * (mean ** 2 + np.exp(ln_var) - ln_var - 1)
        return np.asarray(_reduce(loss, self.reduce), dtype=self.dtype),


@testing.parameterize(*_GRID)
class TestBernoulliNLL(_VAETestBase):
    def generate_inputs(self):
        return self._uniform(0, 1), self._uniform(-2, 2)

    def forward(self, inputs, device):
        return F.bernoulli_nll(*inputs, reduce=self.reduce),

    def forward_expected(self, inputs):
        x, y = (a.astype(np.float64) for a in inputs)
        p = 1 / (1 + np.exp(-y))
        loss = -(x * np.log(p) + (1 - x) * np.log(1 - p))
        return np.asarray(_reduce(loss, self.reduce), dtype=self.dtype),


@testing.parameterize(*_GRID)
class TestGaussianNLL(_VAETestBase):
    def generate_inputs(self):
        return self._uniform(-1, 1), self._uniform(-1, 1), self._uniform(-1, 1)

    def forward(self, inputs, device):
        return F.gaussian_nll(*inputs, reduce=self.reduce),

    def forward_expected(self, inputs):
        x, mean, ln_var = (a.astype(np.float64) for a in inputs)
        var = np.exp(ln_var)
        loss = 0.5 * np.log(2 * math.pi * var) + (x - mean) ** 2 / (2 * var)
        return np.asarray(_reduce(loss, self.reduce), dtype=self.dtype),


def test_default_reduce_is_sum():
    a = np.array([0.5, -1.], np.float32)
    b = np.array([0.2, 0.3], np.float32)
    for f, args in ((F.gaussian_kl_divergence, (a, b)), (F.bernoulli_nll, (b, a)),
                    (F.gaussian_nll, (a, b, a))):
        np.testing.assert_allclose(f(*args).array, f(*args, reduce='no').array.sum(),
                                   rtol=1e-6)


@pytest.mark.parametrize('f, nargs', [(F.gaussian_kl_divergence, 2), (F.bernoulli_nll, 2),
                                      (F.gaussian_nll, 3)])
def test_bad_reduce_raises(f, nargs):
    args = [np.zeros(2, np.float32)] * nargs
    with pytest.raises(ValueError, match=f"{f.__name__}.*reduce.*'sum'.*'max'"):
        f(*args, reduce='max')
