import numpy as np
import pytest
from distribution_helpers import DistributionTestCase, check_kl, check_kl_gradients
from scipy import special, stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


def _scipy_per_row(alpha, x):
    """scipy.stats.dirichlet's values for each batch row of ``alpha``; ``x`` has shape
    ``(n,) + alpha.shape``."""
    x = x / x.sum(axis=-1, keepdims=True)  # SciPy wants sums of 1 to 1e-9
    names = ('entropy', 'mean', 'variance', 'log_prob')
    out = {name: np.empty(alpha.shape[:-1] + alpha.shape[-1:] * (name in ('mean', 'variance')))
           for name in names}
    out['log_prob'] = np.empty(x.shape[:-1])
    for i in np.ndindex(*alpha.shape[:-1]):
        ref = stats.dirichlet(alpha[i])
        out['entropy'][i], out['mean'][i], out['variance'][i] = ref.entropy(), ref.mean(), \
            ref.var()
        out['log_prob'][(slice(None),) + i] = [ref.logpdf(row) for row in x[(slice(None),) + i]]
    out['stddev'] = np.sqrt(out['variance'])
    return out


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 4), (1, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestDirichlet(DistributionTestCase):
    def make_params(self, rng):
        return rng.uniform(0.8, 3, self.shape),

    def make_x(self, rng):
        g = rng.uniform(0.2, 1, (4,) + self.shape)
        return (g / g.sum(axis=-1, keepdims=True)).astype(self.dtype)

    def build(self, params):
        return D.Dirichlet(*params)

    def expected(self, params, x):
        return _scipy_per_row(params[0], x)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments_and_shapes(dtype):
    np.random.seed(0)
    alpha = np.array([[0.5, 1., 2.], [3., 3., 3.]])
    d = D.Dirichlet(alpha.astype(dtype))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    s = d.sample(20000)
    assert s.dtype == dtype and s.shape == (20000, 2, 3)
    np.testing.assert_allclose(s.array.sum(axis=-1), 1, rtol=1e-5)
    mean = alpha / alpha.sum(-1, keepdims=True)
    a0 = alpha.sum(-1, keepdims=True)
    np.testing.assert_allclose(s.array.mean(axis=0), mean, atol=0.01)
    np.testing.assert_allclose(s.array.var(axis=0), mean * (1 - mean) / (a0 + 1), atol=0.005)
    assert d.sample((3, 4)).shape == (3, 4, 2, 3)
    assert d.log_prob(s).shape == (20000, 2)


def test_seeded_sample_is_chainers_draw_for_one_alpha():
    # Chainer draws xp.random.dirichlet(alpha) per batch row; with one row that is
    # NumPy's normalised gamma draws, made here for every row at once.
    alpha = np.array([1.5, 2., 0.7])
    np.random.seed(3)
    expected = np.random.dirichlet(alpha, size=5)
    np.random.seed(3)
    s = D.Dirichlet(tracegrad.Variable(alpha)).sample(5)
    np.testing.assert_allclose(s.array, expected, rtol=1e-12)
    assert s.creator is None


def test_alpha0_params_support():
    d = D.Dirichlet(np.array([[1., 2., 3.]]))
    np.testing.assert_array_equal(d.alpha0.array, [6.])
    assert set(d.params) == {'alpha'} and d.support == '[0, 1]'


def _dirichlet_kl(a1, a2):
    def lbeta(a):
        return special.gammaln(a).sum(-1) - special.gammaln(a.sum(-1))
    centred = special.digamma(a1) - special.digamma(a1.sum(-1, keepdims=True))
    return lbeta(a2) - lbeta(a1) + ((a1 - a2) * centred).sum(-1)


def test_kl_closed_form_and_monte_carlo():
    a1, a2 = np.array([[2., 0.7, 1.], [1., 1., 1.]]), np.array([[3., 1.2, 0.5], [2., 1., 4.]])
    p, q = D.Dirichlet(a1), D.Dirichlet(a2)
    check_kl(p, q, _dirichlet_kl(a1, a2), n=100000)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kl_gradients(dtype):
    def f(a1, a2):
        return tracegrad.kl_divergence(D.Dirichlet(a1), D.Dirichlet(a2))
    rng = np.random.RandomState(2)
    args = tuple(rng.uniform(0.8, 2.5, (2, 3)).astype(dtype) for _ in range(2))
    check_kl_gradients(f, args, rng)


def test_bad_arguments():
    with pytest.raises(TypeError, match=r'Dirichlet: `alpha` must be a floating-point.*int'):
        D.Dirichlet(np.ones(3, np.int32))
    with pytest.raises(ValueError, match=r'Dirichlet: `alpha` needs an event axis'):
        D.Dirichlet(np.array(1.))
