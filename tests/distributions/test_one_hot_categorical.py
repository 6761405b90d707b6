import numpy as np
import pytest
from distribution_helpers import DistributionTestCase
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import testing


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 4)],
    'dtype': [np.float32, np.float64],
}))
class TestOneHotCategorical(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'mean', 'variance')

    def make_params(self, rng):
        p = rng.uniform(0.2, 1, self.shape)
        return p / p.sum(axis=-1, keepdims=True),

    def make_x(self, rng):
        index = rng.randint(0, self.shape[-1], (3,) + self.shape[:-1])
        return np.eye(self.shape[-1], dtype=self.dtype)[index]

    def build(self, params):
        return D.OneHotCategorical(params[0])

    def expected(self, params, x):
        p = params[0]
        exact = p / p.sum(axis=-1, keepdims=True)  # scipy insists on sums of exactly 1
        return {'log_prob': stats.multinomial(1, exact).logpmf(x) if p.ndim == 1
                else np.stack([stats.multinomial(1, exact[i]).logpmf(x[:, i])
                               for i in range(p.shape[0])], axis=1),
                'entropy': stats.entropy(p, axis=-1), 'mean': p, 'variance': p * (1 - p)}


def test_samples_are_one_hot_with_the_right_frequencies():
    p = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]], np.float32)
    d = D.OneHotCategorical(p)
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    np.random.seed(0)
    s = d.sample(20000)
    assert s.shape == (20000, 2, 3) and s.dtype == np.float32
    np.testing.assert_array_equal(s.array.sum(axis=-1), 1)
    np.testing.assert_allclose(s.array.mean(axis=0), p, atol=0.02)


def test_kl():
    p = np.array([0.2, 0.3, 0.5])
    q = np.array([0.4, 0.4, 0.2])
    kl = tracegrad.kl_divergence(D.OneHotCategorical(p), D.OneHotCategorical(q))
    np.testing.assert_allclose(kl.array, stats.entropy(p, q), rtol=1e-12)


def test_bad_p():
    with pytest.raises(TypeError, match='OneHotCategorical: `p` must be a floating-point'):
        D.OneHotCategorical(np.array([1, 0]))
