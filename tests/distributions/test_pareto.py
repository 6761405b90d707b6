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
class TestPareto(DistributionTestCase):
    def make_params(self, rng):
        return rng.uniform(0.5, 1, self.shape), rng.uniform(2.5, 4, self.shape)

    def make_x(self, rng):
        return rng.uniform(1.1, 3, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Pareto(*params)

    def expected(self, params, x):
        scale, alpha = params
        ref = stats.pareto(alpha, scale=scale)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    scale, alpha = np.array([1., 2.], dtype), np.array([5., 6.], dtype)
    ref = stats.pareto(alpha.astype(np.float64), scale=scale.astype(np.float64))
    s = check_sample_moments(D.Pareto(scale, alpha), 40000, ref.mean(), ref.var(), rtol=0.15)
    assert s.dtype == dtype and (s.array >= scale).all()


def test_sample_is_reparameterised():
    def f(scale, alpha):
        np.random.seed(1)
        return D.Pareto(scale, alpha).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.uniform(0.5, 1, 4), rng.uniform(2, 4, 4)),
                                  rng.normal(size=(3, 4)), atol=1e-6, rtol=1e-5)


def test_infinite_moments_and_support():
    d = D.Pareto(np.array([1., 1., 1.]), np.array([0.5, 1.5, 3.]))
    assert d.mean.array[0] == np.inf and np.isfinite(d.mean.array[1:]).all()
    assert (d.variance.array[:2] == np.inf).all() and np.isfinite(d.variance.array[2])
    assert d.log_prob(np.array([0.5, 2., 2.])).array[0] == -np.inf


def test_kl():
    s1, a1, s2, a2 = np.array([2., 1.]), np.array([3., 2.]), np.array([1., 2.]), \
        np.array([2., 2.])
    kl = tracegrad.kl_divergence(D.Pareto(s1, a1), D.Pareto(s2, a2)).array
    assert kl[1] == np.inf  # p reaches below q's support
    p, q = stats.pareto(a1[0], scale=s1[0]), stats.pareto(a2[0], scale=s2[0])
    np.testing.assert_allclose(kl[0], p.expect(lambda x: p.logpdf(x) - q.logpdf(x)),
                               rtol=1e-6)
