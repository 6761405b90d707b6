import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _log_softmax_ref(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def _sce_ref(x, t, normalize=True, class_weight=None, ignore_label=-1, reduce='mean'):
    """Per-position loop reference of the integer-label loss (float64)."""
    log_y = np.moveaxis(_log_softmax_ref(x), 1, -1)  # (N, ..., C)
    loss = np.zeros(t.shape)
    for idx in np.ndindex(*t.shape):
        label = t[idx]
        if label == ignore_label:
            continue
        w = 1.0 if class_weight is None else class_weight[label]
        loss[idx] = -w * log_y[idx][label]
    if reduce == 'no':
        return loss.astype(x.dtype)
    count = (t != ignore_label).sum() if normalize else len(x)
    return np.asarray(loss.sum() / max(count, 1), dtype=x.dtype)


def _labels(shape, n_class, ignore, ignore_label=-1):
    t = np.random.randint(0, n_class, shape).astype(np.int32)
    if ignore:
        t.flat[::3] = ignore_label
    return t


class _SCETestBase(testing.FunctionTestCase):
    __test__ = False

    normalize = True
    cache_score = True
    class_weight = False
    ignore = True
    reduce = 'mean'
    double = False

    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        # Chainer's single-backprop version refuses second-order gradients.
        self.skip_double_backward_test = not self.double
        n_class = self.shape[1]
        self.t = _labels((self.shape[0],) + self.shape[2:], n_class, self.ignore)
        self.w = (np.random.uniform(0.5, 2, n_class).astype(self.dtype)
                  if self.class_weight else None)

    def generate_inputs(self):
        return np.random.uniform(-2, 2, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        x, = inputs
        w = None if self.w is None else device.send(self.w)
        return F.softmax_cross_entropy(
            x, device.send(self.t), normalize=self.normalize, cache_score=self.cache_score,
            class_weight=w, reduce=self.reduce, enable_double_backprop=self.double),

    def forward_expected(self, inputs):
        x, = inputs
        return _sce_ref(x, self.t, self.normalize, self.w, reduce=self.reduce),


@testing.parameterize(*testing.product({
    'shape': [(3, 5), (1, 4), (2, 3, 4), (2, 3, 1, 3)],
    'dtype': [np.float32, np.float64],
    'reduce': ['mean', 'no'],
    'double': [False, True],
}))
class TestSoftmaxCrossEntropy(_SCETestBase):
    pass


@testing.parameterize(*testing.product_dict(
    [{'normalize': True}, {'normalize': False}],
    [{'cache_score': True}, {'cache_score': False}],
    [{'class_weight': False}, {'class_weight': True}],
    [{'ignore': False}, {'ignore': True}],
    [{'double': False}, {'double': True}],
    [{'shape': (7, 3), 'dtype': np.float64}],
))
class TestSoftmaxCrossEntropyOptions(_SCETestBase):
    pass


@testing.parameterize(*testing.product({
    'shape': [(3, 4), (2, 3, 2)],
    'dtype': [np.float32, np.float64],
    'reduce': ['mean', 'no'],
    'soft_target_loss': ['cross-entropy', 'kl-divergence'],
    'double': [False, True],
}))
class TestSoftmaxCrossEntropySoftTarget(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        self.skip_double_backward_test = not self.double
        p = np.random.uniform(0.1, 1, self.shape)
        self.t = (p / p.sum(axis=1, keepdims=True)).astype(self.dtype)

    def generate_inputs(self):
        return np.random.uniform(-2, 2, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        # t is a constant (the loss is differentiable with respect to x only).
        return F.softmax_cross_entropy(
            inputs[0], device.send(self.t), reduce=self.reduce,
            soft_target_loss=self.soft_target_loss, enable_double_backprop=self.double),

    def forward_expected(self, inputs):
        x, = inputs
        t = self.t.astype(np.float64)
        per_class = -t * _log_softmax_ref(x)
        if self.soft_target_loss == 'kl-divergence':
            per_class += t * np.log(t + 1e-7)
        loss = per_class.sum(axis=1)
        if self.reduce == 'mean':
            loss = loss.mean()
        return np.asarray(loss, dtype=self.dtype),


def _x_t():
    x = np.random.uniform(-1, 1, (4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 2], np.int32)
    return x, t


@pytest.mark.parametrize('double', [False, True])
def test_gradient_is_softmax_minus_onehot(double):
    x, t = _x_t()
    xv = Variable(x)
    loss = F.softmax_cross_entropy(xv, t, enable_double_backprop=double)
    loss.backward()
    y = np.exp(_log_softmax_ref(x))
    y[np.arange(4), t] -= 1
    np.testing.assert_allclose(xv.grad, y / 4, atol=1e-6)
    assert xv.grad.dtype == np.float32


@pytest.mark.parametrize('double', [False, True])
def test_ignore_label_excluded_from_loss_count_and_gradient(double):
    x, t = _x_t()
    t[1] = 5  # any ignore_label works, also one that is out of range
    xv = Variable(x)
    loss = F.softmax_cross_entropy(xv, t, ignore_label=5, enable_double_backprop=double)
    keep = [0, 2, 3]
    expected = -_log_softmax_ref(x)[keep, t[keep]].mean()
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5)
    loss.backward()
    np.testing.assert_array_equal(xv.grad[1], 0)
    per_sample = F.softmax_cross_entropy(x, t, ignore_label=5, reduce='no',
                                         enable_double_backprop=double)
    assert per_sample.shape == (4,)
    assert per_sample.array[1] == 0


@pytest.mark.parametrize('reduce', ['mean', 'no'])
@pytest.mark.parametrize('ignore_label', [0, 2, -1, 7])
@pytest.mark.parametrize('label_dtype', [np.int8, np.int32, np.int64])
@pytest.mark.parametrize('double', [False, True])
def test_ignore_label_may_be_a_class_index(double, label_dtype, ignore_label, reduce):
    """All labels in range is the fast path; an ignore_label inside the class range
    must still be ignored there (loss, count and gradient)."""
    x, t = _x_t()
    t = t.astype(label_dtype)
    xv = Variable(x)
    loss = F.softmax_cross_entropy(xv, t, ignore_label=ignore_label, reduce=reduce,
                                   enable_double_backprop=double)
    expected = _sce_ref(x, t, ignore_label=ignore_label, reduce=reduce)
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5, atol=1e-7)
    gy = np.random.uniform(0.5, 1.5, loss.shape).astype(np.float32)
    loss.grad = gy
    loss.backward()
    p = np.exp(_log_softmax_ref(x))
    onehot = np.eye(3)[t.astype(np.int64)]
    counted = t != ignore_label
    scale = gy[:, None] if reduce == 'no' else gy / max(counted.sum(), 1)
    np.testing.assert_allclose(xv.grad, (p - onehot) * scale * counted[:, None],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('double', [False, True])
def test_all_labels_ignored_gives_zero(double):
    x, _ = _x_t()
    t = np.full(4, -1, np.int32)
    xv = Variable(x)
    loss = F.softmax_cross_entropy(xv, t, enable_double_backprop=double)
    assert loss.array == 0 and loss.dtype == np.float32
    loss.backward()
    np.testing.assert_array_equal(xv.grad, np.zeros_like(x))


def test_int64_labels_and_variable_labels():
    x, t = _x_t()
    a = F.softmax_cross_entropy(x, t)
    b = F.softmax_cross_entropy(x, t.astype(np.int64))
    c = F.softmax_cross_entropy(Variable(x), Variable(t))
    np.testing.assert_allclose(a.array, b.array)
    np.testing.assert_allclose(a.array, c.array)


def test_large_logits_are_stable():
    x = np.array([[1000., 0., -1000.], [-1e4, 1e4, 0.]], np.float32)
    loss = F.softmax_cross_entropy(x, np.array([0, 0], np.int32), reduce='no')
    np.testing.assert_allclose(loss.array, [0., 2e4], rtol=1e-6)


def test_float16_forward():
    x, t = _x_t()
    loss = F.softmax_cross_entropy(x.astype(np.float16), t)
    assert loss.dtype == np.float16
    np.testing.assert_allclose(loss.array, _sce_ref(x, t), rtol=1e-2)


def test_double_backprop_needs_the_option():
    x, t = _x_t()
    xv = Variable(x)
    loss = F.softmax_cross_entropy(xv, t)
    gx, = tracegrad.grad([loss], [xv], enable_double_backprop=True)
    with pytest.raises(RuntimeError, match='enable_double_backprop=True'):
        gx.grad = np.ones_like(x)
        gx.backward()


def test_double_backprop_matches_fused_version():
    x, t = _x_t()
    w = np.array([1., 2., .5], np.float32)
    for reduce in ('mean', 'no'):
        a = F.softmax_cross_entropy(x, t, class_weight=w, reduce=reduce)
        b = F.softmax_cross_entropy(x, t, class_weight=w, reduce=reduce,
                                    enable_double_backprop=True)
        np.testing.assert_allclose(a.array, b.array, rtol=1e-6)


@pytest.mark.parametrize('bad_label', [3, 7, -2])
@pytest.mark.parametrize('double', [False, True])
def test_out_of_range_label_raises(bad_label, double):
    x, t = _x_t()
    t[2] = bad_label
    with pytest.raises(ValueError, match=r'softmax_cross_entropy.*0 <= t < 3.*ignore_label'):
        F.softmax_cross_entropy(x, t, enable_double_backprop=double)


@pytest.mark.parametrize('reduce', ['sum', 'MEAN', None])
def test_bad_reduce_raises(reduce):
    x, t = _x_t()
    with pytest.raises(ValueError, match="softmax_cross_entropy.*reduce"):
        F.softmax_cross_entropy(x, t, reduce=reduce)


def test_bad_soft_target_loss_raises():
    x, _ = _x_t()
    with pytest.raises(ValueError, match='soft_target_loss'):
        F.softmax_cross_entropy(x, np.full((4, 3), 1 / 3, np.float32), soft_target_loss='l2')


@pytest.mark.parametrize('class_weight, match', [
    (np.ones((3, 1), np.float32), '1-dimensional'),
    (np.ones(3, np.int32), 'float dtype'),
    (Variable(np.ones(3, np.float32)), 'not a Variable'),
])
def test_bad_class_weight_raises(class_weight, match):
    x, t = _x_t()
    with pytest.raises(ValueError, match=f'softmax_cross_entropy.*{match}'):
        F.softmax_cross_entropy(x, t, class_weight=class_weight)


def test_class_weight_of_wrong_length_raises():
    x, t = _x_t()
    with pytest.raises(InvalidType, match='softmax_cross_entropy'):
        F.softmax_cross_entropy(x, t, class_weight=np.ones(4, np.float32))


@pytest.mark.parametrize('double', [False, True])
@pytest.mark.parametrize('x_shape, t, match', [
    ((4, 3), np.zeros(3, np.int32), r'x.shape\[0\] == t.shape\[0\]'),
    ((4, 3), np.zeros((4, 1), np.int32), 't.ndim == x.ndim - 1'),
    ((4, 3, 2), np.zeros((4, 3), np.int32), r'x.shape\[2:\] == t.shape\[1:\]'),
    ((4, 3), np.zeros(4, np.uint8), "t.dtype.kind == 'f'"),
    ((4, 3), np.zeros((4, 2), np.float32), 'x.shape == t.shape'),
])
def test_bad_shapes_and_dtypes_raise(double, x_shape, t, match):
    x = np.zeros(x_shape, np.float32)
    with pytest.raises(InvalidType, match=f'(?s)softmax_cross_entropy.*{match}'):
        F.softmax_cross_entropy(x, t, enable_double_backprop=double)


def test_integer_x_raises():
    with pytest.raises(InvalidType, match="x.dtype.kind == 'f'"):
        F.softmax_cross_entropy(np.zeros((2, 3), np.int32), np.zeros(2, np.int32))
