import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _summary_ref(y, t, label_num, beta, ignore_label):
    pred = y.argmax(axis=1).ravel()
    true = t.ravel()
    kept = true != ignore_label
    pred, true = pred[kept], true[kept]
    p, r, f, s = (np.zeros(label_num) for _ in range(4))
    for c in range(label_num):
        tp = np.sum((pred == c) & (true == c))
        relevant, support = np.sum(pred == c), np.sum(true == c)
        p[c] = tp / relevant if relevant else np.nan
        r[c] = tp / support if support else np.nan
        den = beta ** 2 * p[c] + r[c]
        f[c] = (1 + beta ** 2) * p[c] * r[c] / den if den else np.nan
        s[c] = support
    return p, r, f, s


@testing.parameterize(*testing.product({
    'shapes': [((6, 3), (6,)), ((1, 4), (1,)), ((3, 5, 2), (3, 2)), ((4, 3, 1, 1), (4,)),
               ((2, 3, 5, 1), (2, 5))],
    'dtype': [np.float32, np.float64],
    'label_num': [None, 4],
    'beta': [1.0, 2.0],
    'ignore_label': [-1, 7],
}))
class TestClassificationSummary(testing.FunctionTestCase):
    skip_backward_test = True  # not differentiable
    skip_double_backward_test = True

    def setUp(self):
        x_shape, t_shape = self.shapes
        self.t = np.random.randint(0, x_shape[1], t_shape).astype(np.int32)
        self.t.flat[::3] = self.ignore_label
        self.n = self.label_num if self.label_num is not None else int(self.t.max()) + 1

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shapes[0]).astype(self.dtype),

    def forward(self, inputs, device):
        return F.classification_summary(inputs[0], device.send(self.t), self.label_num,
                                        self.beta, self.ignore_label)

    def forward_expected(self, inputs):
        p, r, f, s = _summary_ref(inputs[0], self.t, self.n, self.beta, self.ignore_label)
        return (p.astype(self.dtype), r.astype(self.dtype), f.astype(self.dtype),
                s.astype(np.int64))


@pytest.mark.parametrize('beta', [0.5, 1.0, 3.0])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_matches_scikit_learn(beta, seed):
    rng = np.random.RandomState(seed)
    y = rng.uniform(-1, 1, (40, 5)).astype(np.float64)
    t = rng.randint(0, 5, 40).astype(np.int32)
    t[:4] = -1
    p, r, f, s = F.classification_summary(y, t, label_num=5, beta=beta)
    kept = t != -1
    ep, er, ef, es = precision_recall_fscore_support(
        t[kept], y.argmax(1)[kept], beta=beta, labels=range(5), zero_division=np.nan)
    np.testing.assert_allclose(p.array, ep)
    np.testing.assert_allclose(r.array, er)
    # Chainer's F is 0 / 0 = NaN where precision and recall are both 0; scikit-learn's 0
    both_zero = (ep == 0) & (er == 0)
    np.testing.assert_allclose(f.array[~both_zero], ef[~both_zero])
    assert np.isnan(f.array[both_zero]).all()
    np.testing.assert_array_equal(s.array, es)


def test_precision_recall_f1_return_value_and_support():
    y = np.array([[0.9, 0.1, 0.], [0.2, 0.8, 0.], [0.7, 0.3, 0.], [0.4, 0.6, 0.],
                  [0., 0., 1.]], np.float32)
    t = np.array([0, 1, 1, 1, 0], np.int32)
    full = F.classification_summary(y, t, label_num=3, beta=2.)
    for func, index in [(F.precision, 0), (F.recall, 1), (F.f1_score, 2)]:
        value, support = func(y, t, label_num=3)
        assert isinstance(value, Variable) and isinstance(support, Variable)
        np.testing.assert_array_equal(support.array, [2, 3, 0])
        if func is not F.f1_score:
            np.testing.assert_array_equal(value.array, full[index].array)
    fb, support = F.fbeta_score(y, t, label_num=3, beta=2.)
    np.testing.assert_array_equal(fb.array, full[2].array)
    np.testing.assert_allclose(F.precision(y, t)[0].array, [0.5, 1.])  # label_num 2
    np.testing.assert_allclose(F.recall(y, t, label_num=3)[0].array, [.5, 2 / 3, np.nan])
    f1 = F.f1_score(y, t, label_num=3)[0].array
    np.testing.assert_allclose(f1[:2], [0.5, 0.8])
    assert np.isnan(f1[2])  # neither predicted nor present: 0 / 0


def test_labels_beyond_label_num_are_not_counted():
    y = np.eye(4, dtype=np.float32)
    t = np.array([0, 1, 3, 3], np.int32)
    p, r, _, s = F.classification_summary(y, t, label_num=2)
    np.testing.assert_array_equal(s.array, [1, 1])
    np.testing.assert_array_equal(p.array, [1, 1])
    np.testing.assert_array_equal(r.array, [1, 1])


def test_gives_no_gradient():
    x = Variable(np.random.uniform(-1, 1, (3, 4)).astype(np.float32))
    p, _ = F.precision(x, np.array([0, 1, 2], np.int32))
    F.sum(p).backward()
    assert x.grad is None or not x.grad.any()


def test_bad_label_num_raises():
    with pytest.raises(ValueError, match='precision.*label_num'):
        F.precision(np.zeros((2, 3), np.float32), np.zeros(2, np.int32), label_num=-1)


@pytest.mark.parametrize('y, t, match', [
    (np.zeros((3, 2), np.float32), np.zeros(2, np.int32), r'x.shape\[0\] == t.shape\[0\]'),
    (np.zeros((3, 2), np.float32), np.zeros(3, np.float32), "t.dtype.kind == 'i'"),
    (np.zeros((3, 2), np.int32), np.zeros(3, np.int32), "x.dtype.kind == 'f'"),
    (np.zeros((3, 2, 4), np.float32), np.zeros((3, 5), np.int32),
     r'x.shape\[2:3\] == t.shape\[1:\]'),
    (np.zeros(3, np.float32), np.zeros(3, np.int32), 'x.ndim >= t.ndim'),
])
def test_bad_inputs_raise(y, t, match):
    with pytest.raises(InvalidType, match=f'(?s)classification_summary.*{match}'):
        F.classification_summary(y, t, label_num=2)


def test_label_num_none_cannot_be_traced():
    import tracegrad
    from tracegrad.compile.tracer import CompileError

    @tracegrad.compile(backend='reference')
    def summary(y, t):
        return F.precision(y, t)

    with pytest.raises(CompileError, match='precision.*label_num'):
        summary(np.zeros((2, 3), np.float32), np.zeros(2, np.int32))

    @tracegrad.compile(backend='reference')
    def summary_with_label_num(y, t):
        return F.precision(y, t, label_num=3)

    y = np.eye(3, dtype=np.float32)[[0, 2]]
    t = np.array([0, 1], np.int32)
    p, support = summary_with_label_num(y, t)
    np.testing.assert_array_equal(support.array, [1, 1, 0])
    np.testing.assert_array_equal(p.array, F.precision(y, t, label_num=3)[0].array)
