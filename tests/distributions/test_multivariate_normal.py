import numpy as np
import pytest
from distribution_helpers import DistributionTestCase
from scipy import stats

import tracegrad
import tracegrad.distributions as D
from tracegrad import gradient_check, testing
from tracegrad.distributions.triangular_inverse import lower_triangular_inverse


def _scale_tril(rng, shape):
    d = shape[-1]
    m = rng.uniform(-0.5, 0.5, shape + (d,))
    m = np.tril(m, -1)
    index = np.arange(d)
    m[..., index, index] = rng.uniform(0.7, 1.5, shape)
    return m


@testing.parameterize(*testing.product({
    'shape': [(3,), (2, 2), (1, 4)],
    'dtype': [np.float32, np.float64],
}))
class TestMultivariateNormal(DistributionTestCase):
    outputs = ('log_prob', 'entropy', 'mean', 'covariance', 'variance')

    def make_params(self, rng):
        return rng.uniform(-1, 1, self.shape), _scale_tril(rng, self.shape)

    def make_x(self, rng):
        return rng.normal(size=(2,) + self.shape).astype(self.dtype)

    def build(self, params):
        return D.MultivariateNormal(params[0], scale_tril=params[1])

    def expected(self, params, x):
        loc, tril = params
        d = loc.shape[-1]
        flat_loc, flat_tril = loc.reshape(-1, d), tril.reshape(-1, d, d)
        flat_x = x.reshape(x.shape[0], -1, d)
        covs = flat_tril @ np.swapaxes(flat_tril, -1, -2)
        refs = [stats.multivariate_normal(m, c) for m, c in zip(flat_loc, covs)]
        batch = loc.shape[:-1]
        return {
            'log_prob': np.stack([r.logpdf(flat_x[:, i]) for i, r in enumerate(refs)],
                                 axis=-1).reshape(x.shape[:1] + batch),
            'entropy': np.array([r.entropy() for r in refs]).reshape(batch),
            'mean': loc,
            'covariance': covs.reshape(tril.shape),
            'variance': np.diagonal(covs, axis1=-2, axis2=-1).reshape(loc.shape),
        }


@testing.parameterize(*testing.product({
    'shape': [(1, 1), (3, 3), (2, 4, 4)],
    'dtype': [np.float32, np.float64],
}))
class TestLowerTriangularInverse(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2,
                                                  'dtype': np.float64}

    def generate_inputs(self):
        rng = np.random.RandomState(3)
        return _scale_tril(rng, self.shape[:-1]).astype(self.dtype),

    def forward(self, inputs, device):
        return lower_triangular_inverse(inputs[0]),

    def forward_expected(self, inputs):
        return np.linalg.inv(np.tril(inputs[0])).astype(self.dtype),


def test_triangular_inverse_ignores_the_upper_triangle():
    m = np.array([[2., 5.], [1., 4.]])
    y = lower_triangular_inverse(m)
    np.testing.assert_allclose(y.array, np.linalg.inv(np.tril(m)), rtol=1e-12)
    with pytest.raises(tracegrad.utils.type_check.InvalidType, match='LowerTriangularInverse'):
        lower_triangular_inverse(np.zeros((2, 3)))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sample_moments(dtype):
    np.random.seed(0)
    loc = np.array([1., -1.], dtype)
    tril = np.array([[1., 0.], [0.8, 0.6]], dtype)
    s = D.MultivariateNormal(loc, scale_tril=tril).sample(40000)
    assert s.shape == (40000, 2) and s.dtype == dtype
    np.testing.assert_allclose(s.array.mean(axis=0), loc, atol=0.03)
    np.testing.assert_allclose(np.cov(s.array.T), tril @ tril.T, atol=0.03)


def test_batch_and_event_shapes():
    d = D.MultivariateNormal(np.zeros((4, 3, 2)), scale_tril=np.broadcast_to(np.eye(2),
                                                                            (4, 3, 2, 2)))
    assert d.batch_shape == (4, 3) and d.event_shape == (2,)
    assert d.sample((6, 5)).shape == (6, 5, 4, 3, 2)
    assert d.log_prob(d.sample(7)).shape == (7, 4, 3)


def test_sample_is_reparameterised():
    rng = np.random.RandomState(0)

    def f(loc, tril):
        np.random.seed(1)
        return D.MultivariateNormal(loc, scale_tril=tril).sample(3)
    gradient_check.check_backward(f, (rng.normal(size=(2, 3)), _scale_tril(rng, (2, 3))),
                                  rng.normal(size=(3, 2, 3)), atol=1e-6, rtol=1e-5)


def test_kl_closed_form_and_gradients():
    rng = np.random.RandomState(0)
    loc1, loc2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    t1, t2 = _scale_tril(rng, (2, 3)), _scale_tril(rng, (2, 3))
    kl = tracegrad.kl_divergence(D.MultivariateNormal(loc1, scale_tril=t1),
                                 D.MultivariateNormal(loc2, scale_tril=t2)).array
    for i in range(2):
        c1, c2 = t1[i] @ t1[i].T, t2[i] @ t2[i].T
        inv2 = np.linalg.inv(c2)
        diff = loc2[i] - loc1[i]
        expected = 0.5 * (np.trace(inv2 @ c1) + diff @ inv2 @ diff - 3
                          + np.log(np.linalg.det(c2) / np.linalg.det(c1)))
        np.testing.assert_allclose(kl[i], expected, rtol=1e-10)

    def f(loc1, t1, loc2, t2):
        return tracegrad.kl_divergence(D.MultivariateNormal(loc1, scale_tril=t1),
                                       D.MultivariateNormal(loc2, scale_tril=t2))
    gradient_check.check_backward(f, (loc1, t1, loc2, t2), rng.normal(size=2),
                                  atol=1e-6, rtol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match='MultivariateNormal: `scale_tril` must have a value'):
        D.MultivariateNormal(np.zeros(2))
    with pytest.raises(ValueError, match=r'MultivariateNormal: `scale_tril` must have shape'
                                         r'.*\(2,\).*\(3, 3\)'):
        D.MultivariateNormal(np.zeros(2), scale_tril=np.eye(3))
