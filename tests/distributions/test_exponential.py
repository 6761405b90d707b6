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
class TestExponential(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'mean', 'variance', 'stddev', 'cdf', 'icdf')

    def make_params(self, rng):
        return rng.uniform(0.5, 2, self.shape),

    def make_x(self, rng):
        self.u = rng.uniform(0.05, 0.95, (4,) + self.shape).astype(self.dtype)
        return rng.uniform(0.1, 3, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Exponential(params[0])

    def expected(self, params, x):
        ref = stats.expon(scale=1 / params[0])
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std(), 'cdf': ref.cdf(x),
                'icdf': ref.ppf(self.u)}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    d = D.Exponential(np.array([1., 4.], dtype))
    s = check_sample_moments(d, 40000, [1., 0.25], [1., 1 / 16])
    assert s.dtype == dtype and (s.array > 0).all()


def test_sample_is_reparameterised():
    def f(lam):
        np.random.seed(1)
        return D.Exponential(lam).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.uniform(0.5, 2, 4),), rng.normal(size=(3, 4)),
                                  atol=1e-6, rtol=1e-5)


def test_negative_values_have_zero_density():
    d = D.Exponential(np.array([2.]))
    assert d.log_prob(np.array([-0.5])).array[0] == -np.inf


def test_kl():
    l1, l2 = np.array([1., 3.]), np.array([2., 0.5])
    kl = tracegrad.kl_divergence(D.Exponential(l1), D.Exponential(l2)).array
    np.testing.assert_allclose(kl, np.log(l1 / l2) + l2 / l1 - 1, rtol=1e-12)
