import numpy as np
import pytest
from distribution_helpers import (
    DistributionTestCase,
    check_kl,
    check_kl_gradients,
    check_sample_moments,
)
from scipy import special, stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5), (1,)],
    'dtype': [np.float32, np.float64],
}))
class TestBeta(DistributionTestCase):
    def make_params(self, rng):
        return rng.uniform(0.8, 3, self.shape), rng.uniform(0.8, 3, self.shape)

    def make_x(self, rng):
        return rng.uniform(0.05, 0.95, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Beta(*params)

    def expected(self, params, x):
        ref = stats.beta(*params)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    a, b = np.array([0.5, 2.]), np.array([0.5, 5.])
    ref = stats.beta(a, b)
    d = D.Beta(a.astype(dtype), b.astype(dtype))
    s = check_sample_moments(d, 40000, ref.mean(), ref.var(), atol=0.01)
    assert s.dtype == dtype and ((s.array >= 0) & (s.array <= 1)).all()


def test_seeded_sample_is_chainers_draw():
    a, b = np.array([1.5, 2.]), np.array([2., 3.])
    np.random.seed(3)
    expected = np.random.beta(a, b, size=(5, 2))
    np.random.seed(3)
    s = D.Beta(tracegrad.Variable(a), b).sample(5)
    np.testing.assert_array_equal(s.array, expected)
    assert s.creator is None  # Chainer's Beta draws carry no gradient


def test_log_prob_is_minus_inf_outside_zero_one():
    d = D.Beta(np.full(3, 2.), np.full(3, 3.))
    with np.errstate(all='raise'):
        lp = d.log_prob(np.array([-0.5, 0.5, 1.5]))
    np.testing.assert_allclose(lp.array, stats.beta(2., 3.).logpdf([-0.5, 0.5, 1.5]))
    with np.errstate(divide='ignore'):
        np.testing.assert_array_equal(d.log_prob(np.array([0., 1., 1.])).array, -np.inf)
    assert d.support == '[0, 1]' and set(d.params) == {'a', 'b'}


def _beta_kl(a1, b1, a2, b2):
    return (special.betaln(a2, b2) - special.betaln(a1, b1) + (a1 - a2) * special.digamma(a1)
            + (b1 - b2) * special.digamma(b1) + (a2 + b2 - a1 - b1) * special.digamma(a1 + b1))


def test_kl_closed_form_and_monte_carlo():
    args = np.array([2., 0.7]), np.array([1., 2.]), np.array([3., 1.2]), np.array([0.5, 1.5])
    p, q = D.Beta(*args[:2]), D.Beta(*args[2:])
    check_kl(p, q, _beta_kl(*args))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kl_gradients(dtype):
    def f(a1, b1, a2, b2):
        return tracegrad.kl_divergence(D.Beta(a1, b1), D.Beta(a2, b2))
    rng = np.random.RandomState(2)
    args = tuple(rng.uniform(0.8, 2.5, 3).astype(dtype) for _ in range(4))
    check_kl_gradients(f, args, rng)


def test_bad_arguments():
    with pytest.raises(TypeError, match=r'Beta: `a` must be a floating-point.*int'):
        D.Beta(np.ones(2, np.int32), np.ones(2))
    with pytest.raises(TypeError, match=r'Beta: `b` must be a floating-point.*float'):
        D.Beta(np.ones(2), 1.)
    with pytest.raises(ValueError, match=r'shapes \(2,\), \(3,\) do not broadcast'):
        D.Beta(np.ones(2), np.ones(3))
