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
class TestGamma(DistributionTestCase):
    def make_params(self, rng):
        return rng.uniform(1, 3, self.shape), rng.uniform(0.5, 2, self.shape)

    def make_x(self, rng):
        return rng.uniform(0.2, 4, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Gamma(*params)

    def expected(self, params, x):
        k, theta = params
        ref = stats.gamma(k, scale=theta)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    k, theta = np.array([0.5, 3.]), np.array([2., 0.5])
    d = D.Gamma(k.astype(dtype), theta.astype(dtype))
    s = check_sample_moments(d, 40000, k * theta, k * theta ** 2)
    assert s.dtype == dtype
    assert d.sample().shape == (2,) and d.sample((3, 4)).shape == (3, 4, 2)


def test_seeded_sample_is_chainers_draw():
    k, theta = np.array([1.5, 2.]), np.array([2., 3.])
    np.random.seed(3)
    eps = np.random.gamma(k, size=(5, 2))
    np.random.seed(3)
    np.testing.assert_allclose(D.Gamma(k, theta).sample(5).array, theta * eps, rtol=1e-12)


def test_sample_is_differentiable_in_theta_only():
    k = tracegrad.Variable(np.array([1.5, 2.]))
    theta = tracegrad.Variable(np.array([2., 3.]))
    s = D.Gamma(k, theta).sample(4)
    tracegrad.functions.sum(s).backward()
    assert k.grad is None
    np.testing.assert_allclose(theta.grad, (s.array / theta.array).sum(axis=0), rtol=1e-12)


def test_log_prob_is_minus_inf_below_zero_with_finite_gradients():
    k = tracegrad.Variable(np.array([2., 2.]))
    d = D.Gamma(k, np.ones(2))
    with np.errstate(all='raise'):
        lp = d.log_prob(np.array([-1., 1.]))
    np.testing.assert_array_equal(lp.array, [-np.inf, -1.])
    lp.grad = np.array([0., 1.])
    lp.backward()
    assert np.isfinite(k.grad).all()


def test_parameters_broadcast():
    d = D.Gamma(np.full((2, 3), 2.), np.array([1., 2., 3.]))
    assert d.batch_shape == (2, 3) and d.sample(4).shape == (4, 2, 3)
    assert d.support == 'positive' and set(d.params) == {'k', 'theta'}


def _gamma_kl(k1, t1, k2, t2):
    return ((k1 - k2) * special.digamma(k1) - special.gammaln(k1) + special.gammaln(k2)
            + k2 * np.log(t2 / t1) + k1 * (t1 / t2 - 1))


def test_kl_closed_form_and_monte_carlo():
    args = np.array([2., 0.7]), np.array([1., 2.]), np.array([3., 1.2]), np.array([0.5, 1.5])
    p, q = D.Gamma(*args[:2]), D.Gamma(*args[2:])
    check_kl(p, q, _gamma_kl(*args))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kl_gradients(dtype):
    def f(k1, t1, k2, t2):
        return tracegrad.kl_divergence(D.Gamma(k1, t1), D.Gamma(k2, t2))
    rng = np.random.RandomState(2)
    args = tuple(rng.uniform(0.8, 2.5, 3).astype(dtype) for _ in range(4))
    check_kl_gradients(f, args, rng)


def test_bad_arguments():
    with pytest.raises(TypeError, match=r'Gamma: `k` must be a floating-point.*int'):
        D.Gamma(np.ones(2, np.int32), np.ones(2))
    with pytest.raises(TypeError, match=r'Gamma: `theta` must be a floating-point.*list'):
        D.Gamma(np.ones(2), [1., 1.])
    with pytest.raises(ValueError, match=r'shapes \(2,\), \(3,\) do not broadcast'):
        D.Gamma(np.ones(2), np.ones(3))
    with pytest.raises(TypeError):
        D.Gamma(np.ones(2))
