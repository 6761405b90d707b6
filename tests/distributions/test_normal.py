import numpy as np
import pytest
from distribution_helpers import DistributionTestCase, check_sample_moments
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import gradient_check, testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5), (1,)],
    'dtype': [np.float32, np.float64],
    'given': ['scale', 'log_scale'],
}))
class TestNormal(DistributionTestCase):
    def make_params(self, rng):
        loc = rng.uniform(-1, 1, self.shape)
        scale = rng.uniform(0.5, 2, self.shape)
        return loc, (scale if self.given == 'scale' else np.log(scale))

    def make_x(self, rng):
        return rng.normal(size=(4,) + self.shape).astype(self.dtype)

    def build(self, params):
        loc, s = params
        return D.Normal(loc, **{self.given: s})

    def expected(self, params, x):
        loc, s = params
        ref = stats.norm(loc, s if self.given == 'scale' else np.exp(s))
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std()}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments_shape_and_dtype(dtype):
    np.random.seed(0)
    d = D.Normal(np.array([0., 3.], dtype), np.array([1., 0.5], dtype))
    s = check_sample_moments(d, 20000, [0., 3.], [1., 0.25])
    assert s.dtype == dtype
    assert d.sample().shape == (2,)
    assert d.sample((3, 4)).shape == (3, 4, 2)


def test_seeded_sample_is_chainers_draw():
    loc, scale = np.array([1., 2.], np.float32), np.array([2., 3.], np.float32)
    np.random.seed(3)
    eps = np.random.standard_normal((5, 2)).astype(np.float32)
    np.random.seed(3)
    np.testing.assert_allclose(D.Normal(loc, scale).sample(5).array, loc + scale * eps,
                               rtol=1e-6)


def test_sample_is_reparameterised():
    def f(loc, log_scale):
        np.random.seed(1)  # the same noise at every evaluation
        return D.Normal(loc, log_scale=log_scale).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.normal(size=4), rng.normal(size=4)),
                                  rng.normal(size=(3, 4)), atol=1e-6, rtol=1e-5)


def test_parameters_broadcast():
    loc = np.zeros((2, 3), np.float32)
    scale = np.array([1., 2., 3.], np.float32)
    d = D.Normal(loc, scale)
    assert d.batch_shape == (2, 3)
    assert d.sample(4).shape == (4, 2, 3)
    np.testing.assert_allclose(d.log_prob(np.zeros(3, np.float32)).array,
                               np.broadcast_to(stats.norm(0, scale).logpdf(0), (2, 3)),
                               rtol=1e-6)


def test_log_prob_broadcasts_sample_axes():
    d = D.Normal(np.zeros(3), np.ones(3))
    assert d.log_prob(np.zeros((5, 2, 3))).shape == (5, 2, 3)


def test_kl_closed_form_and_monte_carlo():
    p = D.Normal(np.array([0., 1.]), np.array([1., 2.]))
    q = D.Normal(np.array([1., -1.]), np.array([2., 0.5]))
    kl = tracegrad.kl_divergence(p, q).array
    mu1, s1, mu2, s2 = np.array([0., 1.]), np.array([1., 2.]), np.array([1., -1.]), \
        np.array([2., 0.5])
    expected = np.log(s2 / s1) + (s1 ** 2 + (mu1 - mu2) ** 2) / (2 * s2 ** 2) - 0.5
    np.testing.assert_allclose(kl, expected, rtol=1e-12)
    np.random.seed(0)
    z = p.sample(200000)
    mc = (p.log_prob(z) - q.log_prob(z)).array.mean(axis=0)
    np.testing.assert_allclose(mc, expected, rtol=0.03)
    ce = tracegrad.cross_entropy(p, q).array
    np.testing.assert_allclose(ce, p.entropy.array + expected, rtol=1e-12)


def test_kl_gradients_reach_both_distributions():
    def f(loc1, scale1, loc2, scale2):
        return tracegrad.kl_divergence(D.Normal(loc1, scale1), D.Normal(loc2, scale2))
    rng = np.random.RandomState(2)
    args = (rng.normal(size=3), rng.uniform(0.5, 2, 3), rng.normal(size=3),
            rng.uniform(0.5, 2, 3))
    gradient_check.check_backward(f, args, rng.normal(size=3), atol=1e-6, rtol=1e-5)


def test_log_scale_and_scale_agree():
    loc, scale = np.array([0.5, -1.]), np.array([0.3, 2.])
    a, b = D.Normal(loc, scale), D.Normal(loc, log_scale=np.log(scale))
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(a.log_prob(x).array, b.log_prob(x).array, rtol=1e-12)
    np.testing.assert_allclose(a.log_scale.array, b.log_scale.array, rtol=1e-12)
    np.testing.assert_allclose(a.scale.array, b.scale.array, rtol=1e-12)
    assert set(a.params) == {'loc', 'scale'}
    np.testing.assert_allclose(a.prob(x).array, stats.norm(loc, scale).pdf(x), rtol=1e-12)


@pytest.mark.parametrize('kwargs,match', [
    ({'scale': np.ones(2), 'log_scale': np.zeros(2)}, r'Normal: .*`scale` or `log_scale`'),
    ({}, r'Normal: .*`scale` or `log_scale`.*got none'),
])
def test_scale_or_log_scale(kwargs, match):
    with pytest.raises(ValueError, match=match):
        D.Normal(np.zeros(2), **kwargs)


def test_bad_arguments():
    with pytest.raises(TypeError, match=r'Normal\(\) got unexpected keyword.*scal'):
        D.Normal(np.zeros(2), scal=np.ones(2))
    with pytest.raises(TypeError, match=r'Normal: `loc` must be a floating-point.*int'):
        D.Normal(np.zeros(2, np.int32), np.ones(2))
    with pytest.raises(ValueError, match=r'shapes \(2,\), \(3,\) do not broadcast'):
        D.Normal(np.zeros(2), np.ones(3))


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestNormalCdfs(DistributionTestCase):
    outputs = ('cdf', 'log_cdf', 'survival_function', 'log_survival_function', 'icdf')

    def make_params(self, rng):
        return rng.uniform(-1, 1, self.shape), rng.uniform(0.5, 2, self.shape)

    def make_x(self, rng):
        self.u = rng.uniform(0.05, 0.95, (4,) + self.shape).astype(self.dtype)
        return rng.uniform(-3, 3, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.Normal(*params)

    def expected(self, params, x):
        ref = stats.norm(*params)
        return {'cdf': ref.cdf(x), 'log_cdf': ref.logcdf(x), 'survival_function': ref.sf(x),
                'log_survival_function': ref.logsf(x), 'icdf': ref.ppf(self.u)}


def test_cdfs_in_the_far_tails():
    # log_cdf and the survival functions keep their digits where 1 - cdf rounds to 0
    d = D.Normal(np.array([0., 1.]), np.array([1., 2.]))
    x = np.array([-40., 41.])
    ref = stats.norm([0., 1.], [1., 2.])
    np.testing.assert_allclose(d.log_cdf(x).array, ref.logcdf(x), rtol=1e-12)
    np.testing.assert_allclose(d.survival_function(-x).array, ref.sf(-x), rtol=1e-12)
    np.testing.assert_allclose(d.log_survival_function(-x).array, ref.logsf(-x), rtol=1e-12)
    u = np.array([0.1, 0.7])
    np.testing.assert_allclose(d.cdf(d.icdf(u)).array, u, rtol=1e-12)
