import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _accuracy_ref(y, t, ignore_label):
    pred = y.argmax(axis=1).reshape(t.shape)
    counted = np.ones(t.shape, bool) if ignore_label is None else t != ignore_label
    total = counted.sum()
    return ((pred == t) & counted).sum() / total if total else 0.


@testing.parameterize(*testing.product({
    'shapes': [((5, 3), (5,)), ((1, 4), (1,)), ((2, 3, 4), (2, 4)), ((3, 4, 1, 1), (3,)),
               ((2, 3, 5, 1), (2, 5))],
    'dtype': [np.float32, np.float64],
    'ignore_label': [None, 1],
}))
class TestAccuracy(testing.FunctionTestCase):
    skip_backward_test = True  # accuracy is not differentiable
    skip_double_backward_test = True

    def setUp(self):
        x_shape, t_shape = self.shapes
        self.t = np.random.randint(0, x_shape[1], t_shape).astype(np.int32)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shapes[0]).astype(self.dtype),

    def forward(self, inputs, device):
        return F.accuracy(inputs[0], device.send(self.t), ignore_label=self.ignore_label),

    def forward_expected(self, inputs):
        return np.asarray(_accuracy_ref(inputs[0], self.t, self.ignore_label),
                          dtype=self.dtype),


@testing.parameterize(*testing.product({
    'shape': [(5,), (1,), (3, 4)],
    'dtype': [np.float32, np.float64],
    'ignore': [False, True],
}))
class TestBinaryAccuracy(testing.FunctionTestCase):
    skip_backward_test = True  # binary_accuracy is not differentiable
    skip_double_backward_test = True

    def setUp(self):
        self.t = np.random.randint(0, 2, self.shape).astype(np.int32)
        if self.ignore:
            self.t.flat[::2] = -1

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.binary_accuracy(inputs[0], device.send(self.t)),

    def forward_expected(self, inputs):
        counted = self.t != -1
        correct = ((inputs[0] >= 0) == self.t) & counted
        return np.asarray(correct.sum() / max(counted.sum(), 1), dtype=self.dtype),


def test_accuracy_values():
    y = np.array([[0.1, 0.7, 0.2], [8., 1., 2.], [-8., 1., 2.], [-8., -1., -2.]], np.float32)
    t = np.array([1, 0, 0, 0], np.int32)
    acc = F.accuracy(Variable(y), Variable(t))
    assert acc.dtype == np.float32 and acc.shape == ()
    assert acc.array == 0.5
    assert F.accuracy(y, t, ignore_label=0).array == 1.
    assert F.accuracy(y, t.astype(np.int64), ignore_label=1).array == 1 / 3


def test_all_ignored_gives_zero():
    y = np.zeros((2, 3), np.float32)
    assert F.accuracy(y, np.full(2, -1, np.int32), ignore_label=-1).array == 0
    assert F.binary_accuracy(np.zeros(2, np.float32), np.full(2, -1, np.int32)).array == 0


def test_accuracy_gives_no_gradient():
    x = Variable(np.random.uniform(-1, 1, (3, 4)).astype(np.float32))
    acc = F.accuracy(x, np.array([0, 1, 2], np.int32))
    acc.backward()
    assert x.grad is None or not x.grad.any()


@pytest.mark.parametrize('y, t, match', [
    (np.zeros((3, 2), np.float32), np.zeros(2, np.int32), r'x.shape\[0\] == t.shape\[0\]'),
    (np.zeros((3, 2), np.float32), np.zeros(3, np.float32), "t.dtype.kind == 'i'"),
    (np.zeros((3, 2), np.int32), np.zeros(3, np.int32), "x.dtype.kind == 'f'"),
    (np.zeros((3, 2, 4), np.float32), np.zeros((3, 5), np.int32),
     r'x.shape\[2:3\] == t.shape\[1:\]'),
    (np.zeros((3, 2, 4), np.float32), np.zeros(3, np.int32), r'x.shape\[2\] == 1'),
    (np.zeros(3, np.float32), np.zeros(3, np.int32), 'x.ndim >= t.ndim'),
])
def test_accuracy_bad_inputs_raise(y, t, match):
    with pytest.raises(InvalidType, match=f'(?s)accuracy.*{match}'):
        F.accuracy(y, t)


@pytest.mark.parametrize('y, t, match', [
    (np.zeros((3, 2), np.float32), np.zeros(3, np.int32), 't.shape == x.shape'),
    (np.zeros(3, np.float32), np.zeros(3, np.float32), "t.dtype.kind == 'i'"),
])
def test_binary_accuracy_bad_inputs_raise(y, t, match):
    with pytest.raises(InvalidType, match=f'(?s)binary_accuracy.*{match}'):
        F.binary_accuracy(y, t)
