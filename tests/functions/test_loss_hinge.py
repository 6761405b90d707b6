import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _hinge_ref(x, t, norm, reduce):
    x = x.astype(np.float64)
    sign = np.ones_like(x)
    sign[np.arange(len(t)), t] = -1
    loss = np.maximum(0, 1 + sign * x)
    if norm == 'L2':
        loss = loss ** 2
    return loss.sum() / len(x) if reduce == 'mean' else loss


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 5), (7, 2)],
    'dtype': [np.float32, np.float64],
    'norm': ['L1', 'L2'],
    'reduce': ['mean', 'no'],
}))
class TestHinge(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        self.t = np.random.randint(0, self.shape[1], self.shape[0]).astype(np.int32)

    def generate_inputs(self):
        # keep x away from the kinks at +-1
        x = np.random.uniform(-2, 2, self.shape)
        x[np.abs(np.abs(x) - 1) < 0.1] = 0.5
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.hinge(inputs[0], device.send(self.t), norm=self.norm, reduce=self.reduce),

    def forward_expected(self, inputs):
        return np.asarray(_hinge_ref(inputs[0], self.t, self.norm, self.reduce),
                          dtype=self.dtype),


def test_gradient_l1():
    x = Variable(np.array([[-2., 3., 0.5], [5., 2., -0.5]], np.float32))
    F.hinge(x, np.array([1, 0], np.int32)).backward()
    np.testing.assert_allclose(x.grad, [[0., 0., .5], [0., .5, .5]])


def test_bad_norm_raises():
    with pytest.raises(NotImplementedError, match="hinge.*norm.*'L3'"):
        F.hinge(np.zeros((2, 3), np.float32), np.zeros(2, np.int32), norm='L3')


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match='hinge.*reduce'):
        F.hinge(np.zeros((2, 3), np.float32), np.zeros(2, np.int32), reduce='sum')


@pytest.mark.parametrize('label', [3, -1])
def test_out_of_range_label_raises(label):
    with pytest.raises(ValueError, match=r'hinge.*0 <= t < 3'):
        F.hinge(np.zeros((2, 3), np.float32), np.array([0, label], np.int32))


@pytest.mark.parametrize('x, t, match', [
    (np.zeros((2, 3, 1), np.float32), np.zeros(2, np.int32), 'x.ndim == 2'),
    (np.zeros((2, 3), np.float32), np.zeros((2, 1), np.int32), 't.ndim == 1'),
    (np.zeros((2, 3), np.float32), np.zeros(3, np.int32), r'x.shape\[0\] == t.shape\[0\]'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.float32), "t.dtype.kind == 'i'"),
])
def test_bad_inputs_raise(x, t, match):
    with pytest.raises(InvalidType, match=f'(?s)hinge.*{match}'):
        F.hinge(x, t)
