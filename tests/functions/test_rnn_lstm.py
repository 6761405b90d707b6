import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _lstm_reference(c_prev, x):
    """LSTM with Chainer's layout: channel 4*j + g of x is gate g (a, i, f, o) of unit j."""
    batch = len(x)
    c64, x64 = c_prev.astype(np.float64), x.astype(np.float64)
    a = np.tanh(x64[:, 0::4])
    i = _sigmoid(x64[:, 1::4])
    f = _sigmoid(x64[:, 2::4])
    o = _sigmoid(x64[:, 3::4])
    c = c64.copy()
    c[:batch] = a * i + f * c64[:batch]
    h = o * np.tanh(c[:batch])
    return c.astype(c_prev.dtype), h.astype(x.dtype)


@testing.parameterize(*testing.product({
    'shapes': [((3, 5), 3), ((1, 3), 1), ((4, 2), 2), ((2, 3, 2), 2), ((3, 1), 3)],
    'grads': ['both', 'c_only', 'h_only'],
    'dtype': [np.float32, np.float64],
}))
class TestLSTM(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2,
                                                  'dtype': np.float64}
        else:
            self.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}
            self.check_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-4}
            self.check_double_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-4}

    def generate_inputs(self):
        c_shape, batch = self.shapes
        x_shape = (batch, 4 * c_shape[1]) + c_shape[2:]
        c = np.random.uniform(-1, 1, c_shape).astype(self.dtype)
        x = np.random.uniform(-1, 1, x_shape).astype(self.dtype)
        return c, x

    def forward(self, inputs, device):
        c, h = F.lstm(*inputs)
        # Dropping an output (multiplying by 0 would still send a gradient) checks
        # that the backward handles a missing gradient.
        if self.grads == 'c_only':
            return c,
        if self.grads == 'h_only':
            return h,
        return c, h

    def forward_expected(self, inputs):
        c, h = _lstm_reference(*inputs)
        if self.grads == 'c_only':
            return c,
        if self.grads == 'h_only':
            return h,
        return c, h


def test_gate_layout_is_interleaved():
    # Unit 0 gates in channels 0..3, unit 1 in 4..7: a large forget and input gate for
    # unit 0, a closed input and open output gate for unit 1.
    big = 30.
    x = np.array([[0.5, big, big, big, 0.7, -big, big, big]])
    c_prev = np.array([[1., 2.]])
    c, h = F.lstm(c_prev, x)
    np.testing.assert_allclose(c.array, [[np.tanh(0.5) + 1., 2.]], rtol=1e-10)
    np.testing.assert_allclose(h.array, np.tanh(c.array), rtol=1e-10)


def test_smaller_batch_keeps_rest_of_cell_and_its_gradient():
    c_prev = Variable(np.random.uniform(-1, 1, (3, 2)))
    x = Variable(np.random.uniform(-1, 1, (2, 8)))
    c, h = F.lstm(c_prev, x)
    assert c.shape == (3, 2) and h.shape == (2, 2)
    np.testing.assert_array_equal(c.array[2], c_prev.array[2])
    c.grad = np.ones((3, 2))
    h.grad = np.zeros((2, 2))
    c.backward()
    np.testing.assert_array_equal(c_prev.grad[2], [1., 1.])
    np.testing.assert_allclose(c_prev.grad[:2], _sigmoid(x.array[:, 2::4]))


def test_outputs_keep_dtype():
    c, h = F.lstm(np.zeros((2, 3), np.float32), np.zeros((2, 12), np.float32))
    assert c.dtype == np.float32 and h.dtype == np.float32
    np.testing.assert_array_equal(c.array, 0)


@pytest.mark.parametrize('c_shape,x_shape,x_dtype,match', [
    ((2, 3), (2, 11), np.float32, r'x.shape\[1\] == 4 \* c.shape\[1\]'),
    ((2, 3), (3, 12), np.float32, r'x.shape\[0\] <= c.shape\[0\]'),
    ((2, 3), (2, 12), np.float64, 'x.dtype == c.dtype'),
    ((2, 3, 2), (2, 12), np.float32, 'c.ndim == x.ndim'),
    ((2, 3, 2), (2, 12, 3), np.float32, r'x.shape\[2\] == c.shape\[2\]'),
    ((3,), (12,), np.float32, 'c.ndim >= 2'),
])
def test_bad_inputs_name_function(c_shape, x_shape, x_dtype, match):
    with pytest.raises(InvalidType, match=r'(?s)LSTM.*' + match):
        F.lstm(np.zeros(c_shape, np.float32), np.zeros(x_shape, x_dtype))
