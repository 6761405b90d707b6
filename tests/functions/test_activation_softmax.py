import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _log_softmax_ref(x, axis):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@testing.parameterize(*testing.product({
    'shape_axis': [((2, 3), 1), ((1, 5), 1), ((3, 4, 5), 1), ((3, 4, 5), 2), ((3, 4, 5), 0),
                   ((2, 7), -1), ((5,), 0), ((2, 3, 1), -2)],
    'dtype': [np.float32, np.float64],
    'log': [False, True],
}))
class TestSoftmax(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        shape, _ = self.shape_axis
        return np.random.uniform(-2, 2, shape).astype(self.dtype),

    def forward(self, inputs, device):
        fn = F.log_softmax if self.log else F.softmax
        return fn(inputs[0], axis=self.shape_axis[1]),

    def forward_expected(self, inputs):
        y = _log_softmax_ref(inputs[0], self.shape_axis[1])
        if not self.log:
            y = np.exp(y)
        return y.astype(self.dtype),


@pytest.mark.parametrize('fn', [F.softmax, F.log_softmax])
def test_default_axis_is_one(fn):
    x = np.random.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(fn(x).array, fn(x, axis=1).array)
    assert not np.allclose(fn(x).array, fn(x, axis=2).array)


def test_softmax_large_inputs_are_stable():
    x = np.array([[1000., 1001., 1002.], [-1000., -1000., -1000.]], np.float32)
    y = F.softmax(x).array
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(axis=1), [1., 1.], rtol=1e-6)
    np.testing.assert_allclose(y[1], [1 / 3] * 3, rtol=1e-6)


def test_log_softmax_does_not_underflow():
    x = np.array([[0., -200.]], np.float32)
    y = F.log_softmax(x).array
    np.testing.assert_allclose(y, [[0., -200.]], atol=1e-5)


@pytest.mark.parametrize('fn', [F.softmax, F.log_softmax])
def test_backward_values(fn):
    x = Variable(np.array([[0., 1., 2.]], np.float64))
    y = fn(x)
    y.grad = np.array([[1., 0., 0.]])
    y.backward()
    p = np.exp([0., 1., 2.]) / np.exp([0., 1., 2.]).sum()
    expected = p[0] * (np.eye(3)[0] - p) if fn is F.softmax else np.eye(3)[0] - p
    np.testing.assert_allclose(x.grad[0], expected, rtol=1e-12)


@pytest.mark.parametrize('fn, name', [(F.softmax, 'Softmax'), (F.log_softmax, 'LogSoftmax')])
def test_axis_out_of_range(fn, name):
    with pytest.raises(InvalidType, match=name + r'[\s\S]*x.ndim'):
        fn(np.zeros((2, 3), np.float32), axis=2)
    with pytest.raises(InvalidType, match=name):
        fn(np.zeros((2, 3), np.float32), axis=-3)


@pytest.mark.parametrize('fn, name', [(F.softmax, 'Softmax'), (F.log_softmax, 'LogSoftmax')])
def test_int_input_raises(fn, name):
    with pytest.raises(InvalidType, match=name):
        fn(np.zeros((2, 3), np.int32))


@pytest.mark.parametrize('fn, name', [(F.softmax, 'softmax'), (F.log_softmax, 'log_softmax')])
def test_axis_must_be_int(fn, name):
    with pytest.raises(TypeError, match=name + ': axis must be an int'):
        fn(np.zeros((2, 3), np.float32), axis=(0, 1))
