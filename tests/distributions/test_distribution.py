"""The Distribution base class and the KL registry (register_kl, kl_divergence,
cross_entropy)."""
import copy

import numpy as np
import pytest

import tracegrad
import tracegrad.distributions as D
from tracegrad import Distribution


class Coin(Distribution):
    """A minimal subclass: only what the base class needs for sampling and log_prob."""

    def __init__(self, p):
        self.p = tracegrad.as_variable(p)

    @property
    def batch_shape(self):
        return self.p.shape

    @property
    def event_shape(self):
        return ()

    @property
    def params(self):
        return {'p': self.p}

    def log_prob(self, x):
        return tracegrad.functions.log(x * self.p + (1 - x) * (1 - self.p))

    def sample_n(self, n):
        return tracegrad.Variable(np.zeros((n,) + self.batch_shape, self.p.dtype))


class FairCoin(Coin):
    pass


def test_chainer_names_are_exported():
    assert tracegrad.Distribution is Distribution
    assert tracegrad.distributions is D
    for name in ('kl_divergence', 'cross_entropy', 'register_kl'):
        assert callable(getattr(tracegrad, name))


def test_sample_shapes_via_sample_n():
    c = Coin(np.full((2, 3), 0.5, np.float32))
    assert c.sample().shape == (2, 3)
    assert c.sample(4).shape == (4, 2, 3)
    assert c.sample((5, 4)).shape == (5, 4, 2, 3)
    assert c.sample(()).shape == (2, 3)


def test_undefined_members_name_the_class():
    c = Coin(np.full(2, 0.5))
    for member in ('mean', 'variance', 'entropy', 'mode', 'covariance', 'support'):
        with pytest.raises(NotImplementedError, match=f'Coin does not define {member}'):
            getattr(c, member)
    for method in ('cdf', 'icdf', 'log_cdf', 'survival_function', 'log_survival_function',
                   'perplexity'):
        with pytest.raises(NotImplementedError, match=f'Coin does not define {method}'):
            getattr(c, method)(np.zeros(2))
    with pytest.raises(NotImplementedError, match='Distribution does not define batch_shape'):
        _ = Distribution().batch_shape


def test_prob_is_exp_log_prob_and_xp_and_device():
    c = Coin(np.array([0.25, 0.5]))
    np.testing.assert_allclose(c.prob(np.array([1., 0.])).array, [0.25, 0.5])
    assert c.xp is np
    assert str(c.device) == '@numpy'


def test_copy_shares_the_parameters():
    d = D.Normal(np.zeros(2), np.ones(2))
    e = copy.copy(d)
    assert type(e) is D.Normal and e is not d and e.loc is d.loc
    np.testing.assert_array_equal(e.log_prob(np.zeros(2)).array, d.log_prob(np.zeros(2)).array)
    m = D.MultivariateNormal(np.zeros(2), scale_tril=np.eye(2))
    assert copy.copy(m).scale_tril is m.scale_tril


def test_register_kl_and_lookup_through_subclasses():
    @tracegrad.register_kl(Coin, Coin)
    def kl_coin(p, q):
        return p.p * tracegrad.functions.log(p.p / q.p) \
            + (1 - p.p) * tracegrad.functions.log((1 - p.p) / (1 - q.p))
    assert kl_coin.__name__ == 'kl_coin'  # the decorator returns the function
    p, q = Coin(np.array([0.3])), FairCoin(np.array([0.5]))
    expected = 0.3 * np.log(0.6) + 0.7 * np.log(1.4)
    np.testing.assert_allclose(tracegrad.kl_divergence(p, q).array, [expected])
    with pytest.raises(NotImplementedError, match='Coin does not define entropy'):
        tracegrad.cross_entropy(p, q)


def test_unregistered_pair_raises_not_implemented_error():
    with pytest.raises(NotImplementedError, match=r'no KL divergence is registered for '
                                                  r'\(Normal, Laplace\)') as info:
        tracegrad.kl_divergence(D.Normal(np.zeros(1), np.ones(1)),
                                D.Laplace(np.zeros(1), np.ones(1)))
    assert isinstance(info.value, KeyError)  # what Chainer 7's dictionary lookup raised


def test_cross_entropy_is_entropy_plus_kl():
    p = D.Categorical(np.array([0.2, 0.8]))
    q = D.Categorical(np.array([0.6, 0.4]))
    expected = -(0.2 * np.log(0.6) + 0.8 * np.log(0.4))
    np.testing.assert_allclose(tracegrad.cross_entropy(p, q).array, expected, rtol=1e-12)


def _tril(a):
    return a(np.broadcast_to(np.eye(2), (3, 2, 2)).copy())


# Each takes ``a``, which puts an array on the device under test.
_EVERY_DISTRIBUTION = {
    'Normal': lambda a: D.Normal(a(np.zeros(3)), a(np.ones(3))),
    'Bernoulli': lambda a: D.Bernoulli(a(np.full(3, 0.5))),
    'Categorical': lambda a: D.Categorical(a(np.full((3, 2), 0.5))),
    'OneHotCategorical': lambda a: D.OneHotCategorical(a(np.full((3, 2), 0.5))),
    'Uniform': lambda a: D.Uniform(low=a(np.zeros(3)), high=a(np.ones(3))),
    'Laplace': lambda a: D.Laplace(a(np.zeros(3)), a(np.ones(3))),
    'Exponential': lambda a: D.Exponential(a(np.ones(3))),
    'LogNormal': lambda a: D.LogNormal(a(np.zeros(3)), a(np.ones(3))),
    'Cauchy': lambda a: D.Cauchy(a(np.zeros(3)), a(np.ones(3))),
    'Gumbel': lambda a: D.Gumbel(a(np.zeros(3)), a(np.ones(3))),
    'Geometric': lambda a: D.Geometric(a(np.full(3, 0.5))),
    'Pareto': lambda a: D.Pareto(a(np.ones(3)), a(np.full(3, 3.))),
    'Poisson': lambda a: D.Poisson(a(np.ones(3))),
    'Gamma': lambda a: D.Gamma(a(np.full(3, 2.)), a(np.ones(3))),
    'Beta': lambda a: D.Beta(a(np.full(3, 2.)), a(np.full(3, 3.))),
    'Chisquare': lambda a: D.Chisquare(a(np.full(3, 3.))),
    'Dirichlet': lambda a: D.Dirichlet(a(np.full((3, 4), 2.))),
    'MultivariateNormal': lambda a: D.MultivariateNormal(a(np.zeros((3, 2))),
                                                         scale_tril=_tril(a)),
    'Independent': lambda a: D.Independent(D.Laplace(a(np.zeros((3, 2))), a(np.ones((3, 2))))),
}


def _check_samples_and_scores(d, xp):
    np.random.seed(0)
    s = d.sample((2, 5))
    assert s.shape == (2, 5) + d.batch_shape + d.event_shape
    assert isinstance(s.array, xp.ndarray)
    lp = d.log_prob(s)
    assert lp.shape == (2, 5) + d.batch_shape
    assert isinstance(lp.array, xp.ndarray) and bool(xp.isfinite(lp.array).all())
    assert isinstance(d.support, str) and set(d.params)
    assert d.xp is xp


@pytest.mark.parametrize('name', sorted(_EVERY_DISTRIBUTION))
def test_every_distribution_samples_and_scores_its_samples(name):
    _check_samples_and_scores(_EVERY_DISTRIBUTION[name](lambda x: x), np)


# Poisson draws with xp.random.poisson, which CuPy has and its CPU stand-in lacks.
@pytest.mark.gpu
@pytest.mark.parametrize('name', sorted(set(_EVERY_DISTRIBUTION) - {'Poisson'}))
def test_every_distribution_on_gpu(name):
    cuda = pytest.importorskip('tracegrad.backends.cuda')
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    device = tracegrad.backend.get_device('@cupy:0')
    _check_samples_and_scores(_EVERY_DISTRIBUTION[name](device.send), cuda.cupy)


# Chainer 7's parameter names (in its order) and support of the distributions over scalars
SCALAR_PARAMS = {
    'Beta': (('a', 'b'), '[0, 1]'), 'Cauchy': (('loc', 'scale'), 'real'),
    'Chisquare': (('k',), 'positive'), 'Exponential': (('lam',), 'positive'),
    'Gamma': (('k', 'theta'), 'positive'), 'Geometric': (('p',), 'positive integer'),
    'Gumbel': (('loc', 'scale'), 'real'), 'Laplace': (('loc', 'scale'), 'real'),
    'LogNormal': (('mu', 'sigma'), 'positive'), 'Normal': (('loc', 'scale'), 'real'),
    'Pareto': (('scale', 'alpha'), '[scale, inf]'),
    'Poisson': (('lam',), 'non negative integer'),
}


@pytest.mark.parametrize('name', sorted(SCALAR_PARAMS))
def test_scalar_distribution_parameters(name):
    names, support = SCALAR_PARAMS[name]
    values = [np.full((3, 1), 0.5, np.float32), np.full((1, 4), 2.0, np.float32)][:len(names)]
    d = getattr(D, name)(*values)
    assert list(d.params) == list(names)
    shape = (3, 4) if len(names) == 2 else (3, 1)
    for n, v in zip(names, values):
        p = getattr(d, n)
        assert isinstance(p, tracegrad.Variable) and p.shape == shape and p.dtype == np.float32
        assert p is d.params[n]
        np.testing.assert_array_equal(p.array, np.broadcast_to(v, shape))
    assert d.batch_shape == shape and d.event_shape == () and d.support == support
    bad = [np.zeros(3, np.int32)] + values[1:]
    with pytest.raises(TypeError, match=f'{name}: `{names[0]}` must be a floating-point'):
        getattr(D, name)(*bad)


def test_parameters_that_do_not_broadcast_name_the_class():
    with pytest.raises(ValueError, match=r'Normal: parameter shapes \(2,\), \(3,\) do not '
                                         r'broadcast together'):
        D.Normal(np.zeros(2, np.float32), np.ones(3, np.float32))
    with pytest.raises(ValueError, match='Uniform: parameter shapes'):
        D.Uniform(np.zeros(2, np.float32), np.ones(3, np.float32))
