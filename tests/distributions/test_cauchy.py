import numpy as np
import pytest
from distribution_helpers import DistributionTestCase
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import gradient_check, testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestCauchy(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'cdf', 'icdf')

    def make_params(self, rng):
        return rng.uniform(-1, 1, self.shape), rng.uniform(0.5, 2, self.shape)

    def make_x(self, rng):
        self.u = rng.uniform(0.1, 0.9, (4,) + self.shape).astype(self.dtype)
        return rng.uniform(-3, 3, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Cauchy(*params)

    def expected(self, params, x):
        ref = stats.cauchy(*params)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'cdf': ref.cdf(x),
                'icdf': ref.ppf(self.u)}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_samples_match_the_quartiles(dtype):
    np.random.seed(0)
    d = D.Cauchy(np.array([1.], dtype), np.array([2.], dtype))
    s = d.sample(40000)
    assert s.dtype == dtype and s.shape == (40000, 1)
    # the quartiles of Cauchy(x0, g) are x0 -+ g (it has no moments to compare)
    np.testing.assert_allclose(np.percentile(s.array, [25, 50, 75]), [-1., 1., 3.], atol=0.08)


def test_sample_is_reparameterised():
    def f(loc, scale):
        np.random.seed(1)
        return D.Cauchy(loc, scale).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.normal(size=4), rng.uniform(0.5, 2, 4)),
                                  rng.normal(size=(3, 4)), atol=1e-6, rtol=1e-5)


def test_mean_and_variance_are_nan():
    d = D.Cauchy(np.zeros(2, np.float32), np.ones(2, np.float32))
    assert np.isnan(d.mean.array).all() and np.isnan(d.variance.array).all()
    assert d.mean.dtype == np.float32


def test_no_kl_is_registered():
    d = D.Cauchy(np.zeros(1), np.ones(1))
    with pytest.raises(NotImplementedError, match=r'no KL divergence .*\(Cauchy, Cauchy\)'):
        tracegrad.kl_divergence(d, d)
