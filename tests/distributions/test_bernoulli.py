import numpy as np
import pytest
from distribution_helpers import DistributionTestCase, check_sample_moments
from scipy import special, stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5)],
    'dtype': [np.float32, np.float64],
    'given': ['p', 'logit'],
    'binary_check': [False, True],
}))
class TestBernoulli(DistributionTestCase):
    def make_params(self, rng):
        p = rng.uniform(0.1, 0.9, self.shape)
        return (p if self.given == 'p' else special.logit(p)),

    def make_x(self, rng):
        return rng.randint(0, 2, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Bernoulli(**{self.given: params[0]}, binary_check=self.binary_check)

    def expected(self, params, x):
        p = params[0] if self.given == 'p' else special.expit(params[0])
        ref = stats.bernoulli(p)
        return {'log_prob': ref.logpmf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


def test_sample_moments_and_dtype():
    np.random.seed(0)
    d = D.Bernoulli(np.array([0.2, 0.7], np.float32))
    s = check_sample_moments(d, 20000, [0.2, 0.7], [0.16, 0.21], atol=0.02)
    assert s.dtype == np.int64 and set(np.unique(s.array)) <= {0, 1}


def test_binary_check():
    x = np.array([0., 1., 0.5], np.float32)
    p = np.full(3, 0.3, np.float32)
    checked = D.Bernoulli(p, binary_check=True)
    assert checked.log_prob(x).array[2] == -np.inf
    assert checked.prob(x).array[2] == 0
    plain = D.Bernoulli(p)
    np.testing.assert_allclose(plain.log_prob(x).array[2],
                               0.5 * np.log(0.3) + 0.5 * np.log(0.7), rtol=1e-6)
    np.testing.assert_allclose(plain.prob(x).array, [0.7, 0.3, 0.5], rtol=1e-6)


def test_extreme_p_gives_exact_log_prob():
    d = D.Bernoulli(np.array([0., 1., 0., 1.]))
    with np.errstate(divide='ignore', invalid='ignore'):
        lp = d.log_prob(np.array([0., 1., 1., 0.])).array
        entropy = d.entropy.array
    np.testing.assert_array_equal(lp, [0., 0., -np.inf, -np.inf])
    np.testing.assert_array_equal(entropy, [0., 0., 0., 0.])


def test_large_logits_stay_finite():
    d = D.Bernoulli(logit=np.array([-80., 80.], np.float32))
    np.testing.assert_allclose(d.log_prob(np.array([0., 1.], np.float32)).array, [0., 0.],
                               atol=1e-6)
    np.testing.assert_allclose(d.log_prob(np.array([1., 0.], np.float32)).array,
                               [-80., -80.], rtol=1e-6)
    assert np.isfinite(d.entropy.array).all()


def test_kl():
    p1, p2 = np.array([0.3, 0.9]), np.array([0.5, 0.2])
    kl = tracegrad.kl_divergence(D.Bernoulli(p1), D.Bernoulli(logit=special.logit(p2)))
    expected = p1 * np.log(p1 / p2) + (1 - p1) * np.log((1 - p1) / (1 - p2))
    np.testing.assert_allclose(kl.array, expected, rtol=1e-10)


def test_params_and_support():
    d = D.Bernoulli(np.array([0.25]))
    np.testing.assert_allclose(d.params['logit'].array, [np.log(1 / 3)], rtol=1e-12)
    assert d.support == '{0, 1}' and d.batch_shape == (1,) and d.event_shape == ()


@pytest.mark.parametrize('kwargs,got', [
    ({'p': np.ones(2) / 2, 'logit': np.zeros(2)}, '`p`, `logit`'), ({}, 'none')])
def test_p_or_logit(kwargs, got):
    with pytest.raises(ValueError, match=f'Bernoulli: give either `p` or `logit`.*got {got}'):
        D.Bernoulli(**kwargs)
