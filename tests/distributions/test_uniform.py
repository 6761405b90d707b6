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
    'given': ['low_high', 'loc_scale'],
}))
class TestUniform(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'mean', 'variance', 'stddev', 'cdf', 'icdf')

    def make_params(self, rng):
        low = rng.uniform(-2, -1, self.shape)
        high = rng.uniform(1, 2, self.shape)
        return (low, high) if self.given == 'low_high' else (low, high - low)

    def make_x(self, rng):
        self.u = rng.uniform(0.1, 0.9, (4,) + self.shape).astype(self.dtype)
        return rng.uniform(-0.9, 0.9, (4,) + self.shape).astype(self.dtype)

    def build(self, params):
        names = ('low', 'high') if self.given == 'low_high' else ('loc', 'scale')
        return D.Uniform(**dict(zip(names, params)))

    def expected(self, params, x):
        a, b = params
        ref = stats.uniform(a, b - a if self.given == 'low_high' else b)
        return {'log_prob': ref.logpdf(x), 'entropy': ref.entropy(), 'mean': ref.mean(),
                'variance': ref.var(), 'stddev': ref.std(), 'cdf': ref.cdf(x),
                'icdf': ref.ppf(self.u)}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments_and_support(dtype):
    np.random.seed(0)
    d = D.Uniform(low=np.array([0., -1.], dtype), high=np.array([1., 3.], dtype))
    s = check_sample_moments(d, 20000, [0.5, 1.], [1 / 12, 16 / 12])
    assert s.dtype == dtype
    assert (s.array > d.low.array).all() and (s.array < d.high.array).all()


def test_sample_is_reparameterised():
    def f(low, high):
        np.random.seed(1)
        return D.Uniform(low=low, high=high).sample(3)
    rng = np.random.RandomState(0)
    gradient_check.check_backward(f, (rng.uniform(-2, -1, 4), rng.uniform(1, 2, 4)),
                                  rng.normal(size=(3, 4)), atol=1e-6, rtol=1e-5)


def test_log_prob_outside_is_minus_infinity_and_cdf_clips():
    d = D.Uniform(low=np.array([0.]), high=np.array([2.]))
    x = np.array([[-1.], [1.], [3.]])
    np.testing.assert_array_equal(d.log_prob(x).array[:, 0], [-np.inf, -np.log(2), -np.inf])
    np.testing.assert_array_equal(d.cdf(x).array[:, 0], [0., 0.5, 1.])
    assert d.params.keys() == {'low', 'high'}
    assert D.Uniform(loc=np.zeros(1), scale=np.ones(1)).params.keys() == {'loc', 'scale'}


def test_kl():
    p = D.Uniform(low=np.array([0., 0.]), high=np.array([1., 1.]))
    q = D.Uniform(low=np.array([-1., 0.5]), high=np.array([3., 2.]))
    np.testing.assert_array_equal(tracegrad.kl_divergence(p, q).array, [np.log(4), np.inf])


@pytest.mark.parametrize('kwargs,got', [
    ({'low': np.zeros(1)}, '`low`'),
    ({'low': np.zeros(1), 'high': np.ones(1), 'loc': np.zeros(1)}, '`low`, `high`, `loc`'),
    ({'low': np.zeros(1), 'scale': np.ones(1)}, '`low`, `scale`'),
    ({}, 'none'),
])
def test_bounds_are_given_in_one_way(kwargs, got):
    with pytest.raises(ValueError, match=f'Uniform: give either `low` and `high` or `loc` and '
                                         f'`scale`, got {got}'):
        D.Uniform(**kwargs)
