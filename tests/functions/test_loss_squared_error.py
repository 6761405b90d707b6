import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'func': ['squared_error', 'squared_difference', 'mean_squared_error'],
    'shape': [(3, 5), (1,), (7,), (2, 3, 1)],
    'dtype': [np.float32, np.float64],
}))
class TestSquaredError(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return (np.random.uniform(-1, 1, self.shape).astype(self.dtype),
                np.random.uniform(-1, 1, self.shape).astype(self.dtype))

    def forward(self, inputs, device):
        return getattr(F, self.func)(*inputs),

    def forward_expected(self, inputs):
        x0, x1 = inputs
        d = x0.astype(np.float64) - x1
        y = (d * d).mean() if self.func == 'mean_squared_error' else d * d
        return np.asarray(y, dtype=self.dtype),


def test_mean_squared_error_is_a_scalar_of_input_dtype():
    y = F.mean_squared_error(np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32))
    assert y.shape == () and y.dtype == np.float32 and y.array == 1


@pytest.mark.parametrize('func', [F.squared_error, F.mean_squared_error])
@pytest.mark.parametrize('x0, x1, match', [
    (np.zeros(3, np.float32), np.zeros(4, np.float32), 'x0.shape == x1.shape'),
    (np.zeros(3, np.float32), np.zeros(3, np.float64), 'x0.dtype == x1.dtype'),
    (np.zeros(3, np.int32), np.zeros(3, np.int32), "x0.dtype.kind == 'f'"),
])
def test_bad_inputs_raise(func, x0, x1, match):
    with pytest.raises(InvalidType, match=f'(?s){func.__name__}.*{match}'):
        func(x0, x1)
