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
class TestGeometric(DistributionTestCase):
    def make_params(self, rng):
        return rng.uniform(0.2, 0.8, self.shape),

    def make_x(self, rng):
        return rng.randint(1, 6, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Geometric(params[0])

    def expected(self, params, x):
        ref = stats.geom(params[0])
        return {'log_prob': ref.logpmf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    p = np.array([0.3, 0.8], dtype)
    s = check_sample_moments(D.Geometric(p), 40000, 1 / p, (1 - p) / p ** 2)
    assert s.dtype == dtype
    assert (s.array >= 1).all() and (s.array == np.round(s.array)).all()


def test_kl():
    p, q = np.array([0.3, 0.6]), np.array([0.5, 0.2])
    kl = tracegrad.kl_divergence(D.Geometric(p), D.Geometric(q)).array
    k = np.arange(1, 400)[:, None]
    pmf_p, pmf_q = stats.geom(p).pmf(k), stats.geom(q).pmf(k)
    np.testing.assert_allclose(kl, (pmf_p * np.log(pmf_p / pmf_q)).sum(axis=0), rtol=1e-10)
