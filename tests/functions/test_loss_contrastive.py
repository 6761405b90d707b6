import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _contrastive_ref(x0, x1, y, margin, reduce):
    d = np.sqrt(((x0.astype(np.float64) - x1) ** 2).sum(axis=1))
    loss = 0.5 * (y * d ** 2 + (1 - y) * np.maximum(margin - d, 0) ** 2)
    return loss.mean() if reduce == 'mean' else loss


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 5), (7, 2)],
    'margin': [1, 2.5],
    'dtype': [np.float32, np.float64],
    'reduce': ['mean', 'no'],
}))
class TestContrastive(testing.FunctionTestCase):
    def setUp(self):
        self.y = np.random.randint(0, 2, self.shape[0]).astype(np.int32)
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        while True:  # keep the distances away from 0 and from the margin (kinks)
            x0 = np.random.uniform(-1, 1, self.shape)
            x1 = np.random.uniform(-1, 1, self.shape)
            d = np.sqrt(((x0 - x1) ** 2).sum(axis=1))
            if d.min() > 0.1 and np.abs(d - self.margin).min() > 0.1:
                return x0.astype(self.dtype), x1.astype(self.dtype)

    def forward(self, inputs, device):
        x0, x1 = inputs
        return F.contrastive(x0, x1, device.send(self.y), self.margin, self.reduce),

    def forward_expected(self, inputs):
        x0, x1 = inputs
        return np.asarray(_contrastive_ref(x0, x1, self.y, self.margin, self.reduce),
                          dtype=self.dtype),


def test_gradient_of_equal_dissimilar_pair_is_zero():
    x0 = Variable(np.ones((2, 3), np.float32))
    x1 = Variable(np.ones((2, 3), np.float32))
    loss = F.contrastive(x0, x1, np.array([0, 1], np.int32))
    assert loss.array == pytest.approx(0.25)  # margin 1, distance 0, one of two pairs
    loss.backward()
    assert np.isfinite(x0.grad).all() and not x0.grad.any()


def test_pairs_beyond_margin_cost_nothing():
    x0 = np.zeros((1, 2), np.float32)
    x1 = np.array([[3., 4.]], np.float32)
    assert F.contrastive(x0, x1, np.array([0], np.int32), margin=5).array == 0
    assert F.contrastive(x0, x1, np.array([1], np.int32), margin=5).array == 12.5


@pytest.mark.parametrize('margin', [0, -1])
def test_bad_margin_raises(margin):
    with pytest.raises(ValueError, match='contrastive.*margin'):
        F.contrastive(np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32),
                      np.zeros(2, np.int32), margin=margin)


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match='contrastive.*reduce'):
        F.contrastive(np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32),
                      np.zeros(2, np.int32), reduce='sum')


@pytest.mark.parametrize('x0, x1, y, match', [
    (np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32), np.zeros(2, np.int32),
     'x0.shape == x1.shape'),
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float64), np.zeros(2, np.int32),
     'x0.dtype == x1.dtype'),
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32), np.zeros(2, np.float32),
     "y.dtype.kind == 'i'"),
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32), np.zeros(3, np.int32),
     r'y.shape\[0\] == x0.shape\[0\]'),
    (np.zeros(3, np.float32), np.zeros(3, np.float32), np.zeros(3, np.int32), 'x0.ndim == 2'),
    (np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32), np.zeros(0, np.int32),
     r'x0.shape\[0\] > 0'),
])
def test_bad_inputs_raise(x0, x1, y, match):
    with pytest.raises(InvalidType, match=f'(?s)contrastive.*{match}'):
        F.contrastive(x0, x1, y)
