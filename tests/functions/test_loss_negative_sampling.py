import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils import WalkerAlias
from tracegrad.utils.type_check import InvalidType


class _FixedSampler:
    """Returns the same draw every time (so forward and the gradient checks agree)."""

    def __init__(self, samples):
        self.samples = samples
        self.shapes = []

    def __call__(self, shape):
        self.shapes.append(shape)
        assert shape == self.samples.shape
        return self.samples


def _negative_sampling_ref(x, t, W, samples, reduce):
    loss = np.zeros(len(x), np.float64)
    for i in range(len(x)):
        if t[i] == -1:
            continue
        words = np.concatenate([[t[i]], samples[i, 1:]])
        scores = W[words].astype(np.float64) @ x[i].astype(np.float64)
        scores[0] *= -1
        loss[i] = np.log1p(np.exp(scores)).sum()
    return loss.sum() if reduce == 'sum' else loss


@testing.parameterize(*testing.product({
    'shape': [(4, 3), (1, 5), (3, 7)],
    'n_vocab': [6],
    'sample_size': [0, 1, 3],
    'dtype': [np.float32, np.float64],
    'reduce': ['sum', 'no'],
    'ignore': [False, True],
}))
class TestNegativeSampling(testing.FunctionTestCase):
    def setUp(self):
        n, _ = self.shape
        self.t = np.random.randint(0, self.n_vocab, n).astype(np.int32)
        if self.ignore:
            self.t[::2] = -1
        self.samples = np.random.randint(0, self.n_vocab, (n, self.sample_size + 1)
                                         ).astype(np.int32)
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
        loss = F.negative_sampling(x, device.send(self.t), W, _FixedSampler(self.samples),
                                   self.sample_size, reduce=self.reduce)
        return loss,

    def forward_expected(self, inputs):
        x, W = inputs
        return np.asarray(_negative_sampling_ref(x, self.t, W, self.samples, self.reduce),
                          dtype=self.dtype),


def test_return_samples_puts_labels_first():
    x = np.random.uniform(-1, 1, (3, 2)).astype(np.float32)
    W = np.random.uniform(-1, 1, (5, 2)).astype(np.float32)
    t = np.array([4, -1, 0], np.int32)
    drawn = np.array([[1, 2, 3], [0, 1, 2], [4, 4, 4]], np.int32)
    sampler = _FixedSampler(drawn)
    loss, samples = F.negative_sampling(x, t, W, sampler, 2, return_samples=True)
    assert sampler.shapes == [(3, 3)]
    assert samples.dtype == np.int32
    np.testing.assert_array_equal(samples, [[4, 2, 3], [-1, 1, 2], [0, 4, 4]])
    assert loss.shape == () and loss.dtype == np.float32
    np.testing.assert_allclose(loss.array, _negative_sampling_ref(x, t, W, drawn, 'sum'),
                               rtol=1e-5)


def test_ignored_rows_get_no_gradient():
    x = Variable(np.random.uniform(-1, 1, (2, 3)).astype(np.float32))
    W = Variable(np.random.uniform(-1, 1, (4, 3)).astype(np.float32))
    t = np.array([-1, 2], np.int32)
    loss = F.negative_sampling(x, t, W, _FixedSampler(np.array([[0, 1], [1, 3]], np.int32)), 1,
                               reduce='no')
    assert loss.array[0] == 0
    F.sum(loss).backward()
    assert not x.grad[0].any() and x.grad[1].any()
    assert not W.grad[0].any()  # drawn only for the ignored row


def test_walker_alias_sampler_with_seed():
    x = np.random.uniform(-1, 1, (5, 3)).astype(np.float32)
    W = np.random.uniform(-1, 1, (4, 3)).astype(np.float32)
    t = np.array([0, 1, 2, 3, 0], np.int32)
    sampler = WalkerAlias([1, 2, 3, 4])
    np.random.seed(11)
    loss, samples = F.negative_sampling(x, t, W, sampler.sample, 3, return_samples=True)
    np.random.seed(11)
    expected = sampler.sample((5, 4))
    np.testing.assert_array_equal(samples[:, 1:], expected[:, 1:])
    np.testing.assert_array_equal(samples[:, 0], t)
    np.testing.assert_allclose(loss.array, _negative_sampling_ref(x, t, W, samples, 'sum'),
                               rtol=1e-5)


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match="negative_sampling.*reduce.*'mean'"):
        F.negative_sampling(np.zeros((2, 3), np.float32), np.zeros(2, np.int32),
                            np.zeros((4, 3), np.float32), _FixedSampler(None), 2, reduce='mean')


def test_unknown_keyword_raises():
    with pytest.raises(TypeError, match='negative_sampling.*return_sample'):
        F.negative_sampling(np.zeros((2, 3), np.float32), np.zeros(2, np.int32),
                            np.zeros((4, 3), np.float32), _FixedSampler(None), 2,
                            return_sample=True)


@pytest.mark.parametrize('label', [4, -2])
def test_out_of_range_label_raises(label):
    with pytest.raises(ValueError, match='negative_sampling.*label'):
        F.negative_sampling(np.zeros((2, 3), np.float32), np.array([0, label], np.int32),
                            np.zeros((4, 3), np.float32),
                            _FixedSampler(np.zeros((2, 3), np.int32)), 2)


@pytest.mark.parametrize('x, t, W, match', [
    (np.zeros((2, 3, 1), np.float32), np.zeros(2, np.int32), np.zeros((4, 3), np.float32),
     'x.ndim == 2'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int64), np.zeros((4, 3), np.float32),
     't.dtype == '),
    (np.zeros((2, 3), np.float32), np.zeros(3, np.int32), np.zeros((4, 3), np.float32),
     r'x.shape\[0\] == t.shape\[0\]'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int32), np.zeros((4, 3), np.float64),
     'W.dtype == x.dtype'),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.int32), np.zeros((4, 2), np.float32),
     r'W.shape\[1\] == x.shape\[1\]'),
    (np.zeros((2, 3), np.int32), np.zeros(2, np.int32), np.zeros((4, 3), np.int32),
     "x.dtype.kind == 'f'"),
])
def test_bad_inputs_raise(x, t, W, match):
    with pytest.raises(InvalidType, match=f'(?s)negative_sampling.*{match}'):
        F.negative_sampling(x, t, W, _FixedSampler(np.zeros((2, 3), np.int32)), 2)


def test_untraceable_sampler_raises_compile_error():
    from tracegrad.compile.tracer import CompileError

    model = tracegrad.links.Linear(3, 3)

    @tracegrad.compile(backend='reference')
    def step(x, t):
        return F.negative_sampling(model(x), t, model.W, _FixedSampler(
            np.zeros((2, 3), np.int32)), 2)

    with pytest.raises(CompileError, match='negative_sampling.*cannot be traced'):
        step(np.zeros((2, 3), np.float32), np.zeros(2, np.int32))
