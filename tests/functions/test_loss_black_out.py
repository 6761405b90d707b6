import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def _black_out_ref(x, t, W, samples, reduce):
    x, W = x.astype(np.float64), W.astype(np.float64)
    loss = np.zeros(len(x))
    for i in range(len(x)):
        if t[i] == -1:
            continue
        pos = W[t[i]] @ x[i]
        neg = W[samples[i]] @ x[i]
        scores = np.concatenate([[pos], neg])
        log_z = np.log(np.exp(scores - scores.max()).sum()) + scores.max()
        loss[i] = -(pos - log_z) - np.log(1 - np.exp(neg - log_z)).sum()
    return loss.mean() if reduce == 'mean' else loss


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 5), (3, 7)],
    'n_vocab': [6],
    'sample_size': [1, 3],
    'dtype': [np.float32, np.float64],
    'reduce': ['mean', 'no'],
    'ignore': [False, True],
}))
class TestBlackOut(testing.FunctionTestCase):
    def setUp(self):
        n, _ = self.shape
        self.t = np.random.randint(0, self.n_vocab, n).astype(np.int32)
        if self.ignore:
            self.t[::2] = -1
        self.samples = np.random.randint(0, self.n_vocab, (n, self.sample_size)).astype(np.int32)
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (self.n_vocab, self.shape[1])).astype(self.dtype)
        return x, W

    def forward(self, inputs, device):
        x, W = inputs
        return F.black_out(x, device.send(self.t), W, device.send(self.samples),
                           reduce=self.reduce),

    def forward_expected(self, inputs):
        x, W = inputs
        return np.asarray(_black_out_ref(x, self.t, W, self.samples, self.reduce),
                          dtype=self.dtype),


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match="black_out.*reduce.*'sum'"):
        F.black_out(np.zeros((2, 3), np.float32), np.zeros(2, np.int32),
                    np.zeros((4, 3), np.float32), np.zeros((2, 2), np.int32), reduce='sum')


@pytest.mark.parametrize('t, samples, match', [
    (np.array([0, 4], np.int32), np.zeros((2, 2), np.int32), 'black_out.*label.*0 <= t < 4'),
    (np.array([0, 1], np.int32), np.array([[0, 4], [1, 1]], np.int32),
     r'black_out.*0 <= samples < 4.*found 4'),
    (np.array([0, 1], np.int32), np.array([[0, -1], [1, 1]], np.int32),
     r'black_out.*0 <= samples < 4.*found -1'),
])
def test_out_of_range_ids_raise(t, samples, match):
    with pytest.raises(ValueError, match=match):
        F.black_out(np.zeros((2, 3), np.float32), t, np.zeros((4, 3), np.float32), samples)


@pytest.mark.parametrize('x, t, W, s, match', [
    (np.zeros((2, 3, 1), np.float32), np.zeros(2, np.int32), np.zeros((4, 3), np.float32),
     np.zeros((2, 2), np.int32), 'x.ndim == 2'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.float32), np.zeros((4, 3), np.float32),
     np.zeros((2, 2), np.int32), "t.dtype.kind == 'i'"),
    (np.zeros((2, 3), np.float32), np.zeros(3, np.int32), np.zeros((4, 3), np.float32),
     np.zeros((2, 2), np.int32), r'x.shape\[0\] == t.shape\[0\]'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int32), np.zeros((4, 3), np.float64),
     np.zeros((2, 2), np.int32), 'W.dtype == x.dtype'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int32), np.zeros((4, 2), np.float32),
     np.zeros((2, 2), np.int32), r'W.shape\[1\] == x.shape\[1\]'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int32), np.zeros((4, 3), np.float32),
     np.zeros((3, 2), np.int32), r'samples.shape\[0\] == x.shape\[0\]'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int32), np.zeros((4, 3), np.float32),
     np.zeros(2, np.int32), 'samples.ndim == 2'),
])
def test_bad_inputs_raise(x, t, W, s, match):
    with pytest.raises(InvalidType, match=f'(?s)black_out.*{match}'):
        F.black_out(x, t, W, s)
