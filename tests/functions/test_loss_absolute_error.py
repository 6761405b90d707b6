import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'func': ['absolute_error', 'mean_absolute_error'],
    'shape': [(3, 5), (1,), (7,), (2, 3, 1)],
    'dtype': [np.float32, np.float64],
}))
class TestAbsoluteError(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x0 = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        # keep |x0 - x1| >= 0.1, away from the kink of |.|
        gap = np.random.uniform(0.1, 1, self.shape) * np.random.choice([-1, 1], self.shape)
        return x0, (x0 + gap).astype(self.dtype)

    def forward(self, inputs, device):
        return getattr(F, self.func)(*inputs),

    def forward_expected(self, inputs):
        x0, x1 = inputs
        d = np.abs(x0.astype(np.float64) - x1)
        return np.asarray(d.mean() if self.func == 'mean_absolute_error' else d,
                          dtype=self.dtype),


def test_gradient_is_sign_of_difference():
    x0 = Variable(np.array([1., -2., 3., 0.5], np.float32))
    x1 = Variable(np.array([0., 0., 4., 0.], np.float32))
    F.mean_absolute_error(x0, x1).backward()
    np.testing.assert_allclose(x0.grad, [.25, -.25, -.25, .25])
    np.testing.assert_allclose(x1.grad, [-.25, .25, .25, -.25])


@pytest.mark.parametrize('func', [F.absolute_error, F.mean_absolute_error])
@pytest.mark.parametrize('x0, x1, match', [
    (np.zeros(3, np.float32), np.zeros((3, 1), np.float32), 'x0.shape == x1.shape'),
    (np.zeros(3, np.float64), np.zeros(3, np.float32), 'x0.dtype == x1.dtype'),
    (np.zeros(3, np.int64), np.zeros(3, np.int64), "x0.dtype.kind == 'f'"),
])
def test_bad_inputs_raise(func, x0, x1, match):
    with pytest.raises(InvalidType, match=f'(?s){func.__name__}.*{match}'):
        func(x0, x1)
