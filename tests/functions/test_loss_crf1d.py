import itertools

import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _sequences(batches, arrays):
    """Per sequence, its rows of the per-step arrays (a sequence b lasts while b < B_i)."""
    return [np.stack([a[b] for a, n in zip(arrays, batches) if b < n])
            for b in range(batches[0])]


def _path_score(cost, x, path):
    return x[np.arange(len(path)), path].sum() + sum(
        cost[s, t] for s, t in itertools.pairwise(path))


def _crf_ref(cost, xs, ys, batches, reduce):
    cost = cost.astype(np.float64)
    xseqs = _sequences(batches, [x.astype(np.float64) for x in xs])
    yseqs = _sequences(batches, ys)
    loss = []
    for x, y in zip(xseqs, yseqs):
        scores = [_path_score(cost, x, p)
                  for p in itertools.product(range(cost.shape[0]), repeat=len(x))]
        loss.append(np.log(np.exp(scores).sum()) - _path_score(cost, x, y))
    loss = np.array(loss)
    return loss.mean() if reduce == 'mean' else loss


@testing.parameterize(*testing.product({
    'batches': [(3, 3, 2, 1), (1,), (2, 2), (1, 1, 1), (3, 1)],
    'n_label': [3],
    'dtype': [np.float32, np.float64],
    'reduce': ['mean', 'no'],
}))
class TestCRF1d(testing.FunctionTestCase):
    def setUp(self):
        self.ys = [np.random.randint(0, self.n_label, n).astype(np.int32) for n in self.batches]
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        k = self.n_label
        cost = np.random.uniform(-1, 1, (k, k)).astype(self.dtype)
        return (cost, *(np.random.uniform(-1, 1, (n, k)).astype(self.dtype)
                        for n in self.batches))

    def forward(self, inputs, device):
        cost, *xs = inputs
        return F.crf1d(cost, xs, [device.send(y) for y in self.ys], reduce=self.reduce),

    def forward_expected(self, inputs):
        cost, *xs = inputs
        return np.asarray(_crf_ref(cost, xs, self.ys, self.batches, self.reduce),
                          dtype=self.dtype),


@pytest.mark.parametrize('batches', [(3, 3, 2, 1), (1,), (2, 2), (4, 2, 2, 1)])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_argmax_crf1d_is_the_best_path(batches, dtype):
    k = 3
    cost = np.random.uniform(-1, 1, (k, k)).astype(dtype)
    xs = [np.random.uniform(-1, 1, (n, k)).astype(dtype) for n in batches]
    score, path = F.argmax_crf1d(Variable(cost), xs)
    assert isinstance(score, Variable) and score.shape == (batches[0],) and score.dtype == dtype
    assert len(path) == len(batches)
    for p, n in zip(path, batches):
        assert p.shape == (n,) and p.dtype == np.int32
    for b, (x, best) in enumerate(zip(_sequences(batches, xs), _sequences(batches, path))):
        candidates = {p: _path_score(cost.astype(np.float64), x.astype(np.float64), p)
                      for p in itertools.product(range(k), repeat=len(x))}
        expected = max(candidates, key=candidates.get)
        assert tuple(best) == expected
        np.testing.assert_allclose(score.array[b], candidates[expected], rtol=1e-5)


def test_argmax_score_has_a_gradient():
    cost = Variable(np.random.uniform(-1, 1, (3, 3)))
    xs = [Variable(np.random.uniform(-1, 1, (2, 3))) for _ in range(3)]
    score, path = F.argmax_crf1d(cost, xs)
    F.sum(score).backward()
    # d score / d x is 1 at the chosen label of each step
    for x, p in zip(xs, path):
        expected = np.zeros((2, 3))
        expected[np.arange(2), p] = 1
        np.testing.assert_array_equal(x.grad, expected)


def test_loss_is_positive_and_falls_to_zero_for_a_certain_path():
    cost = np.array([[10., -10.], [-10., 10.]], np.float32)
    xs = [np.array([[10., -10.]], np.float32)] * 3
    ys = [np.zeros(1, np.int32)] * 3
    assert 0 <= float(F.crf1d(cost, xs, ys).array) < 1e-4
    assert float(F.crf1d(cost, xs, [np.ones(1, np.int32)] * 3).array) > 50


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match="crf1d.*reduce.*'sum'"):
        F.crf1d(np.zeros((2, 2), np.float32), [np.zeros((1, 2), np.float32)],
                [np.zeros(1, np.int32)], reduce='sum')


@pytest.mark.parametrize('func', [F.crf1d, F.argmax_crf1d])
def test_empty_sequence_raises(func):
    args = (np.zeros((2, 2), np.float32), [], []) if func is F.crf1d else \
        (np.zeros((2, 2), np.float32), [])
    with pytest.raises(ValueError, match=f'{func.__name__}.*at least one'):
        func(*args)


def test_xs_and_ys_of_different_lengths_raise():
    with pytest.raises(ValueError, match='crf1d.*same length'):
        F.crf1d(np.zeros((2, 2), np.float32), [np.zeros((1, 2), np.float32)] * 2,
                [np.zeros(1, np.int32)])


_C = np.zeros((3, 3), np.float32)


@pytest.mark.parametrize('cost, xs, ys, match', [
    (np.zeros((3, 2), np.float32), [np.zeros((2, 3), np.float32)], [np.zeros(2, np.int32)],
     r'cost.shape\[0\] == cost.shape\[1\]'),
    (_C, [np.zeros((2, 4), np.float32)], [np.zeros(2, np.int32)],
     r'xs\[0\].shape\[1\] == cost.shape\[0\]'),
    (_C, [np.zeros((2, 3), np.float64)], [np.zeros(2, np.int32)], r'xs\[0\].dtype == cost.dtype'),
    (_C, [np.zeros((1, 3), np.float32), np.zeros((2, 3), np.float32)],
     [np.zeros(1, np.int32), np.zeros(2, np.int32)], r'xs\[1\].shape\[0\] <= xs\[0\].shape\[0\]'),
    (_C, [np.zeros((2, 3), np.float32)], [np.zeros(3, np.int32)],
     r'ys\[0\].shape\[0\] == xs\[0\].shape\[0\]'),
    (_C, [np.zeros((2, 3), np.float32)], [np.zeros(2, np.float32)], r"ys\[0\].dtype.kind == 'i'"),
    (np.zeros((3, 3), np.int32), [np.zeros((2, 3), np.int32)], [np.zeros(2, np.int32)],
     "cost.dtype.kind == 'f'"),
])
def test_bad_inputs_raise(cost, xs, ys, match):
    with pytest.raises(InvalidType, match=f'(?s)crf1d.*{match}'):
        F.crf1d(cost, xs, ys)
    if len(ys) == 1 and ys[0].shape == (2,) and ys[0].dtype == np.int32:
        with pytest.raises(InvalidType, match=f'(?s)argmax_crf1d.*{match}'):
            F.argmax_crf1d(cost, xs)
