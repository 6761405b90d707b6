import itertools

import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _collapse(alignment, blank):
    merged = [k for k, _ in itertools.groupby(alignment)]
    return tuple(k for k in merged if k != blank)


def _ctc_ref(xs, t, blank, input_length, label_length, reduce):
    """Minus the log of the summed probabilities of every alignment (brute force)."""
    x = np.stack(xs).astype(np.float64)  # (T, B, V)
    prob = np.exp(x - x.max(axis=2, keepdims=True))
    prob /= prob.sum(axis=2, keepdims=True)
    losses = []
    for b in range(x.shape[1]):
        n, target = input_length[b], tuple(t[b, :label_length[b]])
        total = sum(np.prod([prob[i, b, k] for i, k in enumerate(a)])
                    for a in itertools.product(range(x.shape[2]), repeat=n)
                    if _collapse(a, blank) == target)
        losses.append(-np.log(total))
    losses = np.array(losses)
    return losses.mean() if reduce == 'mean' else losses


@testing.parameterize(*testing.product({
    'case': [
        # (T, B, V, t, input_length, label_length)
        (4, 2, 3, [[1, 2], [2, 2]], None, None),
        (3, 1, 3, [[1]], None, None),
        (5, 3, 3, [[1, 1], [2, 0], [1, 2]], [5, 3, 4], [2, 1, 2]),
        (4, 2, 4, [[3, 1, 3], [2, 0, 0]], [4, 2], [3, 0]),
    ],
    'blank': [0],
    'dtype': [np.float32, np.float64],
    'reduce': ['mean', 'no'],
}))
class TestCTC(testing.FunctionTestCase):
    def setUp(self):
        n_time, n_batch, n_vocab, t, input_length, label_length = self.case
        self.shape = (n_batch, n_vocab)
        self.n_time = n_time
        self.t = np.array(t, np.int32)
        self.input_length = None if input_length is None else np.array(input_length, np.int32)
        self.label_length = None if label_length is None else np.array(label_length, np.int32)
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return tuple(np.random.uniform(-1, 1, self.shape).astype(self.dtype)
                     for _ in range(self.n_time))

    def forward(self, inputs, device):
        lengths = [None if a is None else device.send(a)
                   for a in (self.input_length, self.label_length)]
        return F.connectionist_temporal_classification(
            list(inputs), device.send(self.t), self.blank, *lengths, reduce=self.reduce),

    def forward_expected(self, inputs):
        n_batch = self.shape[0]
        input_length = self.input_length if self.input_length is not None else \
            np.full(n_batch, self.n_time)
        label_length = self.label_length if self.label_length is not None else \
            np.full(n_batch, self.t.shape[1])
        return np.asarray(_ctc_ref(inputs, self.t, self.blank, input_length, label_length,
                                   self.reduce), dtype=self.dtype),


@pytest.mark.parametrize('blank', [0, 2])
def test_blank_symbol_anywhere(blank):
    xs = [np.random.uniform(-1, 1, (2, 3)) for _ in range(4)]
    t = np.array([[1, 1], [0, 1]] if blank == 2 else [[1, 1], [2, 1]], np.int32)
    loss = F.connectionist_temporal_classification(xs, t, blank, reduce='no')
    expected = _ctc_ref(xs, t, blank, [4, 4], [2, 2], 'no')
    np.testing.assert_allclose(loss.array, expected, rtol=1e-10)


def test_impossible_target_has_a_large_finite_loss():
    # "aa" needs a blank between the two labels: three steps at least
    xs = [np.zeros((1, 2), np.float32)] * 2
    loss = F.connectionist_temporal_classification(xs, np.array([[1, 1]], np.int32), 0)
    assert np.isfinite(loss.array) and loss.array > 1e3


def test_gradient_only_reaches_valid_steps():
    xs = [Variable(np.random.uniform(-1, 1, (2, 3))) for _ in range(4)]
    t = np.array([[1], [2]], np.int32)
    loss = F.connectionist_temporal_classification(
        xs, t, 0, input_length=np.array([4, 2], np.int32))
    loss.backward()
    assert xs[3].grad[0].any() and not xs[3].grad[1].any() and not xs[2].grad[1].any()
    # the gradient of softmax cross terms sums to zero over the labels
    np.testing.assert_allclose(sum(x.grad for x in xs).sum(axis=1), 0, atol=1e-12)


def test_bad_arguments_raise():
    xs = [np.zeros((2, 3), np.float32)] * 3
    t = np.zeros((2, 1), np.int32)
    ctc = F.connectionist_temporal_classification
    with pytest.raises(TypeError, match='connectionist_temporal_classification.*list'):
        ctc(np.zeros((3, 2, 3), np.float32), t, 0)
    with pytest.raises(TypeError, match='connectionist_temporal_classification.*blank_symbol'):
        ctc(xs, t, 0.5)
    with pytest.raises(ValueError, match=r'connectionist_temporal_classification.*\[0, 3\)'):
        ctc(xs, t, 3)
    with pytest.raises(ValueError, match='connectionist_temporal_classification.*reduce'):
        ctc(xs, t, 0, reduce='sum')
    with pytest.raises(ValueError, match='connectionist_temporal_classification.*input_length'):
        ctc(xs, t, 0, input_length=np.array([4, 3], np.int32))
    with pytest.raises(ValueError, match='connectionist_temporal_classification.*label_length'):
        ctc(xs, t, 0, label_length=np.array([2, 1], np.int32))


@pytest.mark.parametrize('xs, t, lengths, match', [
    ([np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)], np.zeros((2, 1), np.int32),
     {}, r'x\[1\].shape == x\[0\].shape'),
    ([np.zeros((2, 3), np.int32)], np.zeros((2, 1), np.int32), {}, r"x\[0\].dtype.kind == 'f'"),
    ([np.zeros((2, 3), np.float32)], np.zeros((3, 1), np.int32), {},
     r't.shape\[0\] == x\[0\].shape\[0\]'),
    ([np.zeros((2, 3), np.float32)], np.zeros((2, 1), np.int64), {}, 't.dtype == '),
    ([np.zeros((2, 3), np.float32)], np.zeros(2, np.int32), {}, 't.ndim == 2'),
    ([np.zeros((2, 3), np.float32)], np.zeros((2, 1), np.int32),
     {'input_length': np.ones(2, np.int64)}, 'input_length.dtype == '),
    ([np.zeros((2, 3), np.float32)], np.zeros((2, 1), np.int32),
     {'label_length': np.ones(3, np.int32)}, r'label_length.shape\[0\] == x\[0\].shape\[0\]'),
])
def test_bad_inputs_raise(xs, t, lengths, match):
    with pytest.raises(InvalidType, match=f'(?s)connectionist_temporal_classification.*{match}'):
        F.connectionist_temporal_classification(xs, t, 0, **lengths)
