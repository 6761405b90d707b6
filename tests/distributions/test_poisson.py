import numpy as np
import pytest
from distribution_helpers import DistributionTestCase, check_sample_moments
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestPoisson(DistributionTestCase):
    outputs = ('log_prob', 'mean', 'variance', 'stddev')

    def make_params(self, rng):
        return rng.uniform(0.5, 5, self.shape),

    def make_x(self, rng):
        return rng.randint(0, 9, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Poisson(params[0])

    def expected(self, params, x):
        ref = stats.poisson(params[0])
        return {'log_prob': ref.logpmf(x), 'mean': ref.mean(), 'variance': ref.var(),
                'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_log_prob_of_large_counts(dtype):
    # float32 keeps to moderate counts: x log(lam) - lam cancels to a few units there
    n = 3 if dtype == np.float32 else 5
    lam = np.array([0.5, 3., 170., 1e4, 1e7][:n], dtype)
    x = np.array([0., 2., 170., 1e4, 1e7][:n], dtype)
    got = D.Poisson(lam).log_prob(x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.array, stats.poisson.logpmf(x, lam.astype(np.float64)),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    lam = np.array([0.5, 4.], dtype)
    s = check_sample_moments(D.Poisson(lam), 40000, lam, lam)
    assert s.dtype == dtype


def test_kl():
    l1, l2 = np.array([1., 3.]), np.array([2., 0.5])
    kl = tracegrad.kl_divergence(D.Poisson(l1), D.Poisson(l2)).array
    np.testing.assert_allclose(kl, l1 * np.log(l1 / l2) - l1 + l2, rtol=1e-12)
