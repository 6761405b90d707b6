import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), ()],
    'dtype': [np.float32, np.float64],
}))
class TestGaussian(testing.FunctionTestCase):
    def setUp(self):
        self.eps = np.random.RandomState(5).standard_normal(self.shape).astype(self.dtype)
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        mean = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        ln_var = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        return mean, ln_var

    def forward(self, inputs, device):
        mean, ln_var = inputs
        return F.gaussian(mean, ln_var, eps=device.send(self.eps)),

    def forward_expected(self, inputs):
        mean, ln_var = inputs
        y = mean + np.exp(ln_var.astype(np.float64) / 2) * self.eps
        return np.asarray(y).astype(self.dtype),


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_seeded_eps_is_chainers_draw(dtype):
    mean = np.full((3, 4), 1., dtype)
    ln_var = np.full((3, 4), np.log(4.), dtype)
    np.random.seed(11)
    expected = np.random.standard_normal((3, 4)).astype(dtype)
    np.random.seed(11)
    y, eps = F.gaussian(mean, ln_var, return_eps=True)
    assert eps.dtype == dtype and y.dtype == dtype
    np.testing.assert_array_equal(eps, expected)
    np.testing.assert_allclose(y.array, 1 + 2 * expected, rtol=1e-6)


def test_fresh_draw_per_call():
    mean, ln_var = np.zeros(20, np.float32), np.zeros(20, np.float32)
    assert not np.array_equal(F.gaussian(mean, ln_var).array, F.gaussian(mean, ln_var).array)


def test_gradient_values_and_given_eps_returned():
    mean = Variable(np.array([0., 1.]))
    ln_var = Variable(np.array([0., np.log(9.)]))
    eps = np.array([2., -1.])
    y, e = F.gaussian(mean, ln_var, eps=eps, return_eps=True)
    assert e is eps
    np.testing.assert_allclose(y.array, [2., -2.])
    y.grad = np.ones(2)
    y.backward()
    np.testing.assert_allclose(mean.grad, [1., 1.])
    np.testing.assert_allclose(ln_var.grad, [1., -1.5])  # eps * exp(ln_var / 2) / 2


def test_errors():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'Gaussian[\s\S]*mean.shape == ln_var.shape'):
        F.gaussian(a, np.zeros((3, 2), np.float32))
    with pytest.raises(InvalidType, match='mean.dtype == ln_var.dtype'):
        F.gaussian(a, np.zeros((2, 3), np.float64))
    with pytest.raises(InvalidType, match='eps.shape == ln_var.shape'):
        F.gaussian(a, a, eps=np.zeros(3, np.float32))
    with pytest.raises(TypeError, match='unexpected keyword argument.*foo'):
        F.gaussian(a, a, foo=1)


def test_compiled_gaussian_draws_the_same_bits_as_eager():
    mean = np.random.uniform(-1, 1, (3, 5)).astype(np.float32)
    ln_var = np.random.uniform(-1, 1, (3, 5)).astype(np.float32)

    def step(m, v):
        return F.gaussian(m, v) * 1

    compiled = tracegrad.compile(step, backend='reference')
    compiled(mean, ln_var)  # trace
    np.random.seed(4)
    got = compiled(mean, ln_var).array
    np.random.seed(4)
    expected = step(mean, ln_var).array
    np.testing.assert_allclose(got, expected, rtol=1e-6)
