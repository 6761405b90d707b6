import numpy as np
import pytest
from distribution_helpers import DistributionTestCase, check_sample_moments
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5), (1,)],
    'dtype': [np.float32, np.float64],
}))
class TestChisquare(DistributionTestCase):
    def make_params(self, rng):
        return rng.uniform(2.5, 6, self.shape),

    def make_x(self, rng):
        return rng.uniform(0.3, 6, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Chisquare(*params)

    def expected(self, params, x):
        ref = stats.chi2(*params)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    k = np.array([1., 4.])
    s = check_sample_moments(D.Chisquare(k.astype(dtype)), 40000, k, 2 * k)
    assert s.dtype == dtype


def test_seeded_sample_is_chainers_draw():
    k = np.array([1.5, 3.])
    np.random.seed(3)
    expected = np.random.chisquare(k, size=(5, 2))
    np.random.seed(3)
    s = D.Chisquare(tracegrad.Variable(k)).sample(5)
    np.testing.assert_array_equal(s.array, expected)
    assert s.creator is None


def test_support_params_and_negative_values():
    d = D.Chisquare(np.array([3., 3.]))
    assert d.support == 'positive' and set(d.params) == {'k'} and d.batch_shape == (2,)
    np.testing.assert_allclose(d.log_prob(np.array([-1., 2.])).array,
                               stats.chi2(3.).logpdf([-1., 2.]))


def test_no_kl_is_registered():
    # Chainer 7 registers none for Chisquare
    d = D.Chisquare(np.ones(1))
    with pytest.raises(NotImplementedError, match=r'\(Chisquare, Chisquare\)'):
        tracegrad.kl_divergence(d, d)


def test_bad_arguments():
    with pytest.raises(TypeError, match=r'Chisquare: `k` must be a floating-point.*int'):
        D.Chisquare(np.ones(2, np.int32))
