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
class TestLaplace(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'mean', 'variance', 'stddev', 'cdf', 'icdf')

    def make_params(self, rng):
        return rng.uniform(-1, 1, self.shape), rng.uniform(0.5, 2, self.shape)

    def make_x(self, rng):
        self.u = rng.uniform(0.05, 0.95, (4,) + self.shape).astype(self.dtype)
        self.u[np.abs(self.u - 0.5) < 0.05] = 0.3  # away from the median's kink
        # x on either side of loc (kept 0.2 away: |x - loc| has a kink there)
        return (rng.choice([-1, 1], (4,) + self.shape)
                * rng.uniform(2.2, 3, (4,) + self.shape)).astype(self.dtype)

    def build(self, params):
        return D.Laplace(*params)

    def expected(self, params, x):
        ref = stats.laplace(*params)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std(), 'cdf': ref.cdf(x),
                'icdf': ref.ppf(self.u)}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    d = D.Laplace(np.array([0., 2.], dtype), np.array([1., 0.5], dtype))
    s = check_sample_moments(d, 40000, [0., 2.], [2., 0.5])
    assert s.dtype == dtype
    assert d.mode is d.loc


def test_sample_is_reparameterised():
    def f(loc, scale):
        np.random.seed(1)
        return D.Laplace(loc, scale).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.normal(size=4), rng.uniform(0.5, 2, 4)),
                                  rng.normal(size=(3, 4)), atol=1e-6, rtol=1e-5)


def test_kl_against_monte_carlo():
    p = D.Laplace(np.array([0., 1.]), np.array([1., 0.5]))
    q = D.Laplace(np.array([0.5, -1.]), np.array([2., 1.]))
    kl = tracegrad.kl_divergence(p, q).array
    np.random.seed(0)
    z = p.sample(200000)
    mc = (p.log_prob(z) - q.log_prob(z)).array.mean(axis=0)
    np.testing.assert_allclose(kl, mc, rtol=0.03)


def test_bad_scale():
    with pytest.raises(TypeError, match='Laplace: `scale` must be a floating-point.*list'):
        D.Laplace(np.zeros(2), [1., 1.])
