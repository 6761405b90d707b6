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


def test_kl_needs_lgamma_and_is_not_registered_yet():
    d = D.Gumbel(np.zeros(1), np.ones(1))
    with pytest.raises(NotImplementedError, match=r'\(Gumbel, Gumbel\)'):
        tracegrad.kl_divergence(d, d)
