import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'case': [((3, 4), 5), ((1, 4), 2), ((2, 3, 2), 3), ((5, 7), 1)],
    'batchwise': [True, False],
    'nobias': [True, False],
    'ratio': [0.5, 0.2],
    'dtype': [np.float32, np.float64],
}))
class TestSimplifiedDropconnect(testing.FunctionTestCase):
    def setUp(self):
        self.x_shape, self.out_size = self.case
        self.in_size = int(np.prod(self.x_shape[1:]))
        shape = ((self.x_shape[0],) if self.batchwise else ()) + (self.out_size, self.in_size)
        self.mask = np.random.RandomState(1).rand(*shape) >= self.ratio
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (self.out_size, self.in_size)).astype(self.dtype)
        if self.nobias:
            return x, W
        return x, W, np.random.uniform(-1, 1, self.out_size).astype(self.dtype)

    def forward(self, inputs, device):
        b = None if self.nobias else inputs[2]
        return F.simplified_dropconnect(inputs[0], inputs[1], b, self.ratio,
                                        mask=device.send(self.mask)),

    def forward_expected(self, inputs):
        x, W = inputs[:2]
        x2 = x.reshape(len(x), -1).astype(np.float64)
        y = np.zeros((len(x), self.out_size))
        for n in range(len(x)):
            mask = self.mask[n] if self.batchwise else self.mask
            for m in range(self.out_size):
                for k in range(self.in_size):
                    if mask[m, k]:
                        y[n, m] += W[m, k] * x2[n, k] / (1 - self.ratio)
        if not self.nobias:
            y += inputs[2]
        return y.astype(self.dtype),


@pytest.mark.parametrize('batchwise', [True, False])
def test_seeded_mask_draw(batchwise):
    x = np.random.randn(3, 4)
    W = np.random.randn(2, 4)
    np.random.seed(9)
    y = F.simplified_dropconnect(x, W, ratio=0.25, use_batchwise_mask=batchwise)
    np.random.seed(9)
    mask = np.random.rand(*(((3,) if batchwise else ()) + (2, 4))) >= 0.25
    w = W * mask / 0.75
    expected = np.einsum('nmk,nk->nm', np.broadcast_to(w, (3, 2, 4)), x)
    np.testing.assert_allclose(y.array, expected, rtol=1e-12)


def test_test_mode_is_linear_and_mask_variable():
    x, W, b = np.random.randn(3, 4), np.random.randn(2, 4), np.random.randn(2)
    y = F.simplified_dropconnect(x, W, b, ratio=0.9, train=False)
    np.testing.assert_allclose(y.array, x @ W.T + b, rtol=1e-12)
    mask = Variable(np.ones((2, 4)))
    y = F.simplified_dropconnect(x, W, ratio=0.5, mask=mask)
    np.testing.assert_allclose(y.array, 2 * x @ W.T, rtol=1e-12)


def test_errors():
    x, W = np.zeros((3, 4), np.float32), np.zeros((2, 4), np.float32)
    with pytest.raises(InvalidType, match='SimplifiedDropconnect'):
        F.simplified_dropconnect(x, np.zeros((2, 5), np.float32))
    with pytest.raises(InvalidType, match='SimplifiedDropconnect'):
        F.simplified_dropconnect(x, W, np.zeros(3, np.float32))
    with pytest.raises(InvalidType, match='SimplifiedDropconnect'):
        F.simplified_dropconnect(x, W, mask=np.ones((4, 2, 4)))
    with pytest.raises(ValueError, match='simplified_dropconnect: ratio'):
        F.simplified_dropconnect(x, W, ratio=1.)
    with pytest.raises(ValueError, match='simplified_dropconnect: W must be 2-d'):
        F.simplified_dropconnect(x, np.zeros(4, np.float32))
    with pytest.raises(ValueError, match='simplified_dropconnect: mask'):
        F.simplified_dropconnect(x, W, mask=np.ones(4))
