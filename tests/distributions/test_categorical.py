import numpy as np
import pytest
from distribution_helpers import DistributionTestCase
from scipy import special, stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


def _probabilities(rng, shape):
    p = rng.uniform(0.2, 1, shape)
    return p / p.sum(axis=-1, keepdims=True)


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 4), (1, 5)],
    'dtype': [np.float32, np.float64],
    'given': ['p', 'logit'],
}))
class TestCategorical(DistributionTestCase):
    outputs = ('log_prob', 'entropy')

    def make_params(self, rng):
        p = _probabilities(rng, self.shape)
        return (p if self.given == 'p' else np.log(p) + 0.3),

    def make_x(self, rng):
        return rng.randint(0, self.shape[-1], (3,) + self.shape[:-1])

    def build(self, params):
        return D.Categorical(**{self.given: params[0]})

    def expected(self, params, x):
        log_p = (np.log(params[0]) if self.given == 'p'
                 else special.log_softmax(params[0], axis=-1))
        log_prob = np.take_along_axis(np.broadcast_to(log_p, x.shape + log_p.shape[-1:]),
                                      x[..., None], axis=-1)[..., 0]
        return {'log_prob': log_prob, 'entropy': stats.entropy(np.exp(log_p), axis=-1)}


@pytest.mark.parametrize('given', ['p', 'logit'])
def test_sample_frequencies(given):
    p = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
    d = D.Categorical(**{given: p if given == 'p' else np.log(p)})
    np.random.seed(0)
    s = d.sample(20000)
    assert s.shape == (20000, 2) and s.dtype == np.int64
    freq = np.stack([(s.array == k).mean(axis=0) for k in range(3)], axis=-1)
    np.testing.assert_allclose(freq, p, atol=0.02)
    assert d.batch_shape == (2,) and d.event_shape == ()


def test_zero_probability_entropy_and_kl():
    p = np.array([0., 0.5, 0.5])
    q = np.array([0.2, 0.4, 0.4])
    with np.errstate(divide='ignore', invalid='ignore'):
        d = D.Categorical(p)
        np.testing.assert_allclose(d.entropy.array, np.log(2), rtol=1e-12)
        kl = tracegrad.kl_divergence(d, D.Categorical(q)).array
    np.testing.assert_allclose(kl, stats.entropy(p, q), rtol=1e-12)


def test_kl():
    rng = np.random.RandomState(0)
    p, q = _probabilities(rng, (2, 4)), _probabilities(rng, (2, 4))
    kl = tracegrad.kl_divergence(D.Categorical(logit=np.log(p)), D.Categorical(q))
    np.testing.assert_allclose(kl.array, stats.entropy(p, q, axis=-1), rtol=1e-10)


def test_p_or_logit():
    with pytest.raises(ValueError, match='Categorical: give either `p` or `logit`'):
        D.Categorical(np.ones(2) / 2, logit=np.zeros(2))
    with pytest.raises(ValueError, match='Categorical: `p` needs a last axis'):
        D.Categorical(np.array(1.))
