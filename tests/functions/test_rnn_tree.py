import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
        case.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
    else:
        case.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}
        case.check_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-5}
        case.check_double_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-5}


def _slstm_reference(c1, c2, x1, x2):
    dtype = c1.dtype
    c1, c2, x1, x2 = (a.astype(np.float64) for a in (c1, c2, x1, x2))
    # interleaved: channel 4 * j + g is gate g (a, i, f, o) of unit j
    a1, i1, f1, o1 = (x1[:, g::4] for g in range(4))
    a2, i2, f2, o2 = (x2[:, g::4] for g in range(4))
    c = (np.tanh(a1) * _sigmoid(i1) + np.tanh(a2) * _sigmoid(i2)
         + _sigmoid(f1) * c1 + _sigmoid(f2) * c2)
    h = _sigmoid(o1 + o2) * np.tanh(c)
    return c.astype(dtype), h.astype(dtype)


@testing.parameterize(*testing.product({
    'shape': [(3, 5), (1, 1), (2, 3, 2)],
    'dtype': [np.float32, np.float64],
}))
class TestSLSTM(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        x_shape = (self.shape[0], 4 * self.shape[1]) + self.shape[2:]
        rng = np.random.RandomState(0)
        return (rng.uniform(-1, 1, self.shape).astype(self.dtype),
                rng.uniform(-1, 1, self.shape).astype(self.dtype),
                rng.uniform(-1, 1, x_shape).astype(self.dtype),
                rng.uniform(-1, 1, x_shape).astype(self.dtype))

    def forward(self, inputs, device):
        return F.slstm(*inputs)

    def forward_expected(self, inputs):
        return _slstm_reference(*inputs)


def _tree_lstm_reference(*inputs):
    *cs, x = inputs
    dtype = x.dtype
    cs = [c.astype(np.float64) for c in cs]
    x = x.astype(np.float64)
    # blocked: a, i, o, f_1 .. f_N one after another along axis 1
    a, i, o, *fs = np.split(x, 3 + len(cs), axis=1)
    c = np.tanh(a) * _sigmoid(i) + sum(_sigmoid(f) * ch for f, ch in zip(fs, cs))
    h = _sigmoid(o) * np.tanh(c)
    return c.astype(dtype), h.astype(dtype)


@testing.parameterize(*testing.product({
    'n_ary': [1, 2, 3],
    'shape': [(3, 4), (1, 1), (2, 3, 2)],
    'dtype': [np.float32, np.float64],
}))
class TestTreeLSTM(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        x_shape = (self.shape[0], (3 + self.n_ary) * self.shape[1]) + self.shape[2:]
        rng = np.random.RandomState(1)
        cs = tuple(rng.uniform(-1, 1, self.shape).astype(self.dtype)
                   for _ in range(self.n_ary))
        return cs + (rng.uniform(-1, 1, x_shape).astype(self.dtype),)

    def forward(self, inputs, device):
        return F.tree_lstm(*inputs)

    def forward_expected(self, inputs):
        return _tree_lstm_reference(*inputs)


def test_slstm_gate_layout_is_interleaved():
    big = 30.
    # unit 0: everything from child 1 closed except a huge forget gate; unit 1 open input
    x1 = np.array([[0., -big, big, 0., 0.5, big, -big, 0.]])
    x2 = np.full((1, 8), -big)
    c1 = np.array([[2., 3.]])
    c2 = np.zeros((1, 2))
    c, _ = F.slstm(c1, c2, x1, x2)
    np.testing.assert_allclose(c.array, [[2., np.tanh(0.5)]], atol=1e-10)


def test_tree_lstm_gate_layout_is_blocked():
    big = 30.
    # two units, one child: blocks a | i | o | f of width 2
    x = np.array([[0.5, 0.5, big, -big, 0., 0., -big, big]])
    c1 = np.array([[1., 2.]])
    c, h = F.tree_lstm(c1, x)
    np.testing.assert_allclose(c.array, [[np.tanh(0.5), 2.]], atol=1e-10)
    np.testing.assert_allclose(h.array, 0.5 * np.tanh(c.array), atol=1e-10)


def test_errors_name_the_function():
    c = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'slstm[\s\S]*x1.shape\[1\] == 4 \* c_prev1.shape'):
        F.slstm(c, c, np.zeros((2, 8), np.float32), np.zeros((2, 12), np.float32))
    with pytest.raises(InvalidType, match=r'slstm[\s\S]*x2.dtype == c_prev1.dtype'):
        F.slstm(c, c, np.zeros((2, 12), np.float32), np.zeros((2, 12)))
    with pytest.raises(InvalidType,
                       match=r'tree_lstm[\s\S]*x.shape\[1\] == 5 \* c1.shape\[1\][\s\S]*12 != 15'):
        F.tree_lstm(c, c, np.zeros((2, 12), np.float32))
    with pytest.raises(InvalidType, match=r'tree_lstm[\s\S]*x.shape\[0\] == c2.shape\[0\]'):
        F.tree_lstm(c, c[:1], np.zeros((2, 15), np.float32))
    with pytest.raises(TypeError, match='tree_lstm: expected cell states and x'):
        F.tree_lstm(np.zeros((2, 12), np.float32))
