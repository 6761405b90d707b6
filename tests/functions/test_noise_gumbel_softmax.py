import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import backend, testing


@testing.parameterize(*testing.product({
    'case': [((3, 4), 1), ((1, 5), 1), ((2, 3, 5), 2), ((4, 2, 3), 0), ((7,), 0)],
    'tau': [0.5, 2.0],
    'dtype': [np.float32, np.float64],
}))
class TestGumbelSoftmax(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis = self.case
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.log(np.random.uniform(0.1, 1, self.shape)).astype(self.dtype),

    def forward(self, inputs, device):
        # the same noise in each call; the draw is kept for the reference (CuPy's
        # stream differs from NumPy's, see test_default_tau_and_axis_and_numpys_stream)
        xp = backend.get_array_module(inputs[0].array)
        xp.random.seed(11)
        self.uniform = backend.CpuDevice().send(xp.random.rand(*self.shape))
        xp.random.seed(11)
        return F.gumbel_softmax(inputs[0], self.tau, axis=self.axis),

    def forward_expected(self, inputs):
        g = (-np.log(-np.log(1 - self.uniform))).astype(self.dtype)
        z = (inputs[0].astype(np.float64) + g) / self.tau
        e = np.exp(z - z.max(axis=self.axis, keepdims=True))
        return (e / e.sum(axis=self.axis, keepdims=True)).astype(self.dtype),


def test_default_tau_and_axis_and_numpys_stream():
    log_pi = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))
    np.random.seed(4)
    y = F.gumbel_softmax(log_pi)
    after = np.random.rand()
    np.random.seed(4)
    g = np.random.gumbel(size=(2, 3))
    assert np.random.rand() == after  # one draw per element, as numpy.random.gumbel
    z = (log_pi + g) / 0.1
    np.testing.assert_allclose(y.array, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
                               rtol=1e-10)


def test_tau_as_variable_gets_a_gradient():
    tau = tracegrad.Variable(np.array(0.7))
    y = F.gumbel_softmax(np.zeros((2, 3)), tau)
    F.sum(y * np.arange(6.).reshape(2, 3)).backward()
    assert tau.grad is not None and tau.grad.shape == ()


def test_samples_follow_the_probabilities():
    np.random.seed(0)
    p = np.array([0.1, 0.3, 0.6])
    y = F.gumbel_softmax(np.log(np.tile(p, (4000, 1))), tau=0.01).array
    np.testing.assert_allclose(np.bincount(y.argmax(axis=1), minlength=3) / 4000, p, atol=0.03)


def test_scalar_input_gives_one():
    y = F.gumbel_softmax(np.array(0.3, np.float32))
    assert y.shape == () and y.dtype == np.float32 and float(y.array) == 1.


def test_bad_axis_names_softmax():
    with pytest.raises(Exception, match='(?i)softmax'):
        F.gumbel_softmax(np.zeros((2, 3), np.float32), axis=2)
