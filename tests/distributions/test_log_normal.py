import numpy as np
import pytest
from distribution_helpers import DistributionTestCase, check_sample_moments
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import gradient_check, testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestLogNormal(DistributionTestCase):
    def make_params(self, rng):
        return rng.uniform(-0.5, 0.5, self.shape), rng.uniform(0.3, 1, self.shape)

    def make_x(self, rng):
        return rng.uniform(0.2, 3, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.LogNormal(*params)

    def expected(self, params, x):
        mu, sigma = params
        ref = stats.lognorm(s=sigma, scale=np.exp(mu))
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    mu, sigma = np.array([0., 0.5], dtype), np.array([0.25, 0.5], dtype)
    d = D.LogNormal(mu, sigma)
    ref = stats.lognorm(s=sigma.astype(np.float64), scale=np.exp(mu.astype(np.float64)))
    s = check_sample_moments(d, 40000, ref.mean(), ref.var())
    assert s.dtype == dtype


def test_sample_is_reparameterised():
    def f(mu, sigma):
        np.random.seed(1)
        return D.LogNormal(mu, sigma).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.normal(size=4) * 0.3, rng.uniform(0.2, 0.5, 4)),
                                  rng.normal(size=(3, 4)), atol=1e-6, rtol=1e-5)


def test_kl_is_the_kl_of_the_logs():
    p, q = D.LogNormal(np.array([0.3]), np.array([0.5])), D.LogNormal(np.array([-1.]),
                                                                      np.array([2.]))
    expected = tracegrad.kl_divergence(D.Normal(p.mu, p.sigma), D.Normal(q.mu, q.sigma))
    np.testing.assert_allclose(tracegrad.kl_divergence(p, q).array, expected.array,
                               rtol=1e-12)
