import numpy as np
import pytest
from distribution_helpers import (
    DistributionTestCase,
    check_kl,
    check_kl_gradients,
    check_sample_moments,
)
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import gradient_check, testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestGumbel(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'mean', 'variance', 'stddev', 'cdf')

    def make_params(self, rng):
        return rng.uniform(-1, 1, self.shape), rng.uniform(0.5, 2, self.shape)

    def make_x(self, rng):
        return rng.uniform(-2, 3, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Gumbel(*params)

    def expected(self, params, x):
        ref = stats.gumbel_r(*params)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std(), 'cdf': ref.cdf(x)}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    ref = stats.gumbel_r([0., 1.], [1., 0.5])
    s = check_sample_moments(D.Gumbel(np.array([0., 1.], dtype), np.array([1., 0.5], dtype)),
                             40000, ref.mean(), ref.var())
    assert s.dtype == dtype


def test_sample_is_reparameterised():
    def f(loc, scale):
        np.random.seed(1)
        return D.Gumbel(loc, scale).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.normal(size=4), rng.uniform(0.5, 2, 4)),
                                  rng.normal(size=(3, 4)), atol=1e-6, rtol=1e-5)


def _gumbel_kl(mu1, b1, mu2, b2):
    from scipy.special import gamma
    return (np.log(b2 / b1) + np.euler_gamma * (b1 / b2 - 1) + (mu1 - mu2) / b2 - 1
            + np.exp((mu2 - mu1) / b2) * gamma(b1 / b2 + 1))


def test_kl_closed_form_and_monte_carlo():
    args = np.array([0., 1.]), np.array([1., 0.5]), np.array([0.5, -1.]), np.array([2., 1.5])
    p, q = D.Gumbel(*args[:2]), D.Gumbel(*args[2:])
    check_kl(p, q, _gumbel_kl(*args))
    np.testing.assert_allclose(tracegrad.kl_divergence(p, p).array, 0, atol=1e-12)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kl_gradients(dtype):
    def f(loc1, scale1, loc2, scale2):
        return tracegrad.kl_divergence(D.Gumbel(loc1, scale1), D.Gumbel(loc2, scale2))
    rng = np.random.RandomState(2)
    args = tuple(a.astype(dtype) for a in (rng.normal(size=3), rng.uniform(0.5, 2, 3),
                                            rng.normal(size=3), rng.uniform(0.5, 2, 3)))
    np.testing.assert_allclose(f(*args).array, _gumbel_kl(*(a.astype(np.float64) for a in args)),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)
    check_kl_gradients(f, args, rng)
