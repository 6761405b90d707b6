import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _sigmoid_ce_ref(x, t, normalize, reduce):
    x = x.astype(np.float64)
    p = 1 / (1 + np.exp(-x))
    valid = t != -1
    loss = np.where(valid, -(t * np.log(p) + (1 - t) * np.log(1 - p)), 0)
    if reduce == 'no':
        return loss
    count = valid.sum() if normalize else len(x)
    return loss.sum() / max(count, 1)


@testing.parameterize(*testing.product({
    'shape': [(3, 5), (1, 1), (7,), (2, 3, 2)],
    'dtype': [np.float32, np.float64],
    'normalize': [True, False],
    'reduce': ['mean', 'no'],
    'ignore': [False, True],
}))
class TestSigmoidCrossEntropy(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        self.t = np.random.randint(0, 2, self.shape).astype(np.int32)
        if self.ignore:
            self.t.flat[::2] = -1

    def generate_inputs(self):
        return np.random.uniform(-3, 3, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.sigmoid_cross_entropy(inputs[0], device.send(self.t),
                                       normalize=self.normalize, reduce=self.reduce),

    def forward_expected(self, inputs):
        return np.asarray(_sigmoid_ce_ref(inputs[0], self.t, self.normalize, self.reduce),
                          dtype=self.dtype),


def test_extreme_scores_are_finite():
    x = np.array([-200., 200., -50., 50.], np.float32)
    t = np.array([1, 0, 0, 1], np.int32)
    y = F.sigmoid_cross_entropy(x, t, reduce='no')
    np.testing.assert_allclose(y.array, [200., 200., 0., 0.], atol=1e-6)
    xv = Variable(x)
    F.sigmoid_cross_entropy(xv, t).backward()
    np.testing.assert_allclose(xv.grad, [-.25, .25, 0., 0.], atol=1e-6)


def test_all_ignored_is_zero():
    x = np.ones((2, 2), np.float32)
    y = F.sigmoid_cross_entropy(x, np.full((2, 2), -1, np.int32))
    assert y.array == 0 and y.dtype == np.float32


def test_labels_accept_int64():
    x = np.array([[0.5, -1.]], np.float32)
    a = F.sigmoid_cross_entropy(x, np.array([[1, 0]], np.int32))
    b = F.sigmoid_cross_entropy(x, np.array([[1, 0]], np.int64))
    np.testing.assert_allclose(a.array, b.array)


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match='sigmoid_cross_entropy.*reduce.*sum'):
        F.sigmoid_cross_entropy(np.zeros(2, np.float32), np.zeros(2, np.int32), reduce='sum')


@pytest.mark.parametrize('x, t, match', [
    (np.zeros((2, 3), np.float32), np.zeros((2,), np.int32), 'x.shape == t.shape'),
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32), "t.dtype.kind == 'i'"),
    (np.zeros((2, 3), np.int32), np.zeros((2, 3), np.int32), "x.dtype.kind == 'f'"),
])
def test_bad_inputs_raise(x, t, match):
    with pytest.raises(InvalidType, match=f'(?s)sigmoid_cross_entropy.*{match}'):
        F.sigmoid_cross_entropy(x, t)
