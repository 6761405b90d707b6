import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 1), (2, 5, 3)],
    'dtype': [np.float32, np.float64],
    'delta': [0.5, 1.0],
    'reduce': ['sum_along_second_axis', 'no'],
}))
class TestHuberLoss(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(-2, 2, self.shape).astype(self.dtype)
        # |x - t| away from delta (the kink of the second derivative) and mixed
        # between the quadratic and the linear parts.
        gap = np.random.choice([0.1, 0.3, 2.5, 3.0], self.shape) * self.delta
        gap *= np.random.choice([-1, 1], self.shape)
        return x, (x + gap).astype(self.dtype)

    def forward(self, inputs, device):
        x, t = inputs
        return F.huber_loss(x, t, self.delta, reduce=self.reduce),

    def forward_expected(self, inputs):
        x, t = inputs
        a = np.abs(x.astype(np.float64) - t)
        d = self.delta
        y = np.where(a <= d, 0.5 * a ** 2, d * (a - 0.5 * d))
        if self.reduce == 'sum_along_second_axis':
            y = y.sum(axis=1)
        return y.astype(self.dtype),


def test_gradient_is_clipped_difference():
    x = Variable(np.array([[0.2, 3., -5.]], np.float32))
    t = np.zeros((1, 3), np.float32)
    F.huber_loss(x, t, delta=1.0).backward()
    np.testing.assert_allclose(x.grad, [[0.2, 1., -1.]])


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match="huber_loss.*reduce.*'mean'"):
        F.huber_loss(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32), 1.,
                     reduce='mean')


@pytest.mark.parametrize('x, t, reduce, match', [
    (np.zeros((2, 3), np.float32), np.zeros((2, 2), np.float32), 'no', 'x.shape == t.shape'),
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float64), 'no', 'x.dtype == t.dtype'),
    (np.zeros(3, np.float32), np.zeros(3, np.float32), 'sum_along_second_axis',
     'x.ndim >= 2'),
])
def test_bad_inputs_raise(x, t, reduce, match):
    with pytest.raises(InvalidType, match=f'(?s)huber_loss.*{match}'):
        F.huber_loss(x, t, 1.0, reduce=reduce)
