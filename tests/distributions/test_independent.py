import numpy as np
import pytest
from distribution_helpers import DistributionTestCase
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


@testing.parameterize(*testing.product({
    'shape_ndims': [((3,), None), ((2, 3), None), ((2, 3, 4), 2), ((2, 3), 0)],
    'dtype': [np.float32, np.float64],
}))
class TestIndependentGumbel(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'mean', 'variance', 'stddev', 'cdf', 'covariance')

    def make_params(self, rng):
        shape = self.shape_ndims[0]
        return rng.uniform(-1, 1, shape), rng.uniform(0.5, 2, shape)

    def make_x(self, rng):
        return rng.normal(size=(2,) + self.shape_ndims[0]).astype(self.dtype)

    def build(self, params):
        return D.Independent(D.Gumbel(*params), self.shape_ndims[1])

    def expected(self, params, x):
        shape, ndims = self.shape_ndims
        ndims = len(shape) - 1 if ndims is None else ndims
        axes = tuple(range(-ndims, 0))
        ref = stats.gumbel_r(*params)
        m = int(np.prod(shape[len(shape) - ndims:]))
        var = ref.var().reshape(shape[:len(shape) - ndims] + (m,))
        return {'log_prob': ref.logpdf(x).sum(axis=axes), 'entropy': ref.entropy().sum(axis=axes),
                'mean': ref.mean(), 'variance': ref.var(), 'stddev': ref.std(),
                'cdf': ref.cdf(x).prod(axis=axes),
                'covariance': var[..., None] * np.eye(m)}


def test_shapes_and_samples():
    base = D.Normal(np.zeros((4, 3, 2)), np.ones((4, 3, 2)))
    d = D.Independent(base)
    assert d.batch_shape == (4,) and d.event_shape == (3, 2)
    assert d.reinterpreted_batch_ndims == 2 and d.distribution is base
    assert d.sample((5,)).shape == (5, 4, 3, 2)
    assert d.log_prob(d.sample(5)).shape == (5, 4)
    assert d.params is not None and d.support == 'real' and d.xp is np
    e = D.Independent(base, 1)
    assert e.batch_shape == (4, 3) and e.event_shape == (2,)


def test_over_multivariate_normal_and_block_covariance():
    loc = np.zeros((2, 3, 2))
    tril = np.broadcast_to(np.array([[1., 0.], [0.5, 2.]]), (2, 3, 2, 2))
    d = D.Independent(D.MultivariateNormal(loc, scale_tril=tril))
    assert d.batch_shape == (2,) and d.event_shape == (3, 2)
    cov = d.covariance.array
    assert cov.shape == (2, 6, 6)
    block = tril[0, 0] @ tril[0, 0].T
    np.testing.assert_allclose(cov[1], np.kron(np.eye(3), block))
    x = np.random.RandomState(0).normal(size=(2, 3, 2))
    expected = stats.multivariate_normal(np.zeros(6), np.kron(np.eye(3), block)).logpdf(
        x.reshape(2, 6))
    np.testing.assert_allclose(d.log_prob(x).array, expected, rtol=1e-12)


def test_kl_sums_over_the_reinterpreted_axes():
    rng = np.random.RandomState(0)
    p = D.Normal(rng.normal(size=(2, 3)), rng.uniform(0.5, 2, (2, 3)))
    q = D.Normal(rng.normal(size=(2, 3)), rng.uniform(0.5, 2, (2, 3)))
    kl = tracegrad.kl_divergence(D.Independent(p), D.Independent(q))
    np.testing.assert_allclose(kl.array, tracegrad.kl_divergence(p, q).array.sum(axis=-1))
    with pytest.raises(ValueError, match='event shapes of the Independent distributions'):
        tracegrad.kl_divergence(D.Independent(p), D.Independent(q, 2))


def test_errors():
    base = D.Normal(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match='Independent: `reinterpreted_batch_ndims` must be '
                                         r'between 0 and the 2 axes.*\(2, 3\), got 3'):
        D.Independent(base, 3)
    with pytest.raises(RuntimeError, match='Independent: .* not invertible'):
        D.Independent(base).icdf(np.full((2, 3), 0.5))
