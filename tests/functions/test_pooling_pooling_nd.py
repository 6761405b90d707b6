"""max_pooling_nd / average_pooling_nd / unpooling_nd (and their _1d, _3d forms) against
loops over window positions."""
import itertools

import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def pooled_size(size, k, s, p, cover_all):
    return (size + 2 * p - k + (s - 1 if cover_all else 0)) // s + 1


def _padded(x, pad, stride, fill):
    n, c, *size = x.shape
    out = np.full((n, c) + tuple(d + 2 * p + s for d, p, s in zip(size, pad, stride)), fill,
                  x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(p, p + d) for p, d in zip(pad, size))] = x
    return out


def _windows(x, k, s, p, cover_all, fill):
    """Yield (output position, window as (n, c, cells)) for every output position."""
    n, c, *size = x.shape
    out = [pooled_size(d, kk, ss, pp, cover_all) for d, kk, ss, pp in zip(size, k, s, p)]
    padded = _padded(x, p, s, fill)
    for pos in itertools.product(*(range(o) for o in out)):
        win = padded[(slice(None), slice(None)) + tuple(
            slice(i * ss, i * ss + kk) for i, ss, kk in zip(pos, s, k))]
        yield out, pos, win.reshape(n, c, -1)


def max_pool_reference(x, k, s, p, cover_all):
    """Max and first argmax of each window."""
    y = idx = None
    for out, pos, win in _windows(x, k, s, p, cover_all, -np.inf):
        if y is None:
            y = np.empty(x.shape[:2] + tuple(out), x.dtype)
            idx = np.empty(x.shape[:2] + tuple(out), np.int64)
        y[(slice(None), slice(None)) + pos] = win.max(axis=2)
        idx[(slice(None), slice(None)) + pos] = win.argmax(axis=2)
    return y, idx


def average_pool_reference(x, k, s, p, pad_value):
    """Mean of each window: over all its cells (padding as 0), or over its cells inside x."""
    inside = np.ones((1, 1) + x.shape[2:], x.dtype)
    y = None
    for (out, pos, win), (_, _, ones) in zip(_windows(x, k, s, p, False, 0),
                                            _windows(inside, k, s, p, False, 0)):
        if y is None:
            y = np.empty(x.shape[:2] + tuple(out), x.dtype)
        divisor = ones.sum() if pad_value is None else ones.shape[2]
        y[(slice(None), slice(None)) + pos] = win.sum(axis=2) / x.dtype.type(divisor)
    return y


def unpool_reference(x, k, s, p, outsize, cover_all):
    """Each input value added to its whole window, then the padding cropped."""
    n, c, *size = x.shape
    if outsize is None:
        outsize = [ss * (d - 1) + kk - 2 * pp - (ss - 1 if cover_all else 0)
                   for d, kk, ss, pp in zip(size, k, s, p)]
    full = np.zeros((n, c) + tuple(ss * d + kk + 2 * pp + o
                                   for d, kk, ss, pp, o in zip(size, k, s, p, outsize)), x.dtype)
    for pos in itertools.product(*(range(d) for d in size)):
        target = (slice(None), slice(None)) + tuple(
            slice(i * ss, i * ss + kk) for i, ss, kk in zip(pos, s, k))
        full[target] += x[(slice(None), slice(None)) + pos].reshape(n, c, *(1,) * len(size))
    return full[(slice(None), slice(None)) + tuple(
        slice(pp, pp + o) for pp, o in zip(p, outsize))]


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}


def _func(prefix, shape):
    return getattr(F, f'{prefix}_{ {3: "1d", 5: "3d"}.get(len(shape), "nd") }')


_GRID = testing.product({
    'x_shape': [(2, 3, 7), (1, 1, 6)],
    'ksize': [(3,), (2,)],
    'stride': [None, (1,)],
    'pad': [(0,), (1,)],
    'cover_all': [True, False],
    'dtype': [np.float64],
}) + testing.product({
    'x_shape': [(1, 2, 5, 4, 3)],
    'ksize': [(2, 3, 1), (2, 2, 2)],
    'stride': [None, (1, 2, 1)],
    'pad': [(0, 0, 0), (1, 0, 1)],
    'cover_all': [True, False],
    'dtype': [np.float32],
}) + testing.product({
    'x_shape': [(2, 1, 4, 6, 2, 3)],  # four spatial axes through the _nd form
    'ksize': [(2, 3, 1, 2)],
    'stride': [None],
    'pad': [(0, 1, 0, 0)],
    'cover_all': [False],
    'dtype': [np.float64],
})


def _no_window_in_padding_only(case):
    # A window can lie wholly in the padding (a kernel no wider than the padding, or
    # cover_all adding a last window): max pooling gives -inf there and average pooling
    # with pad_value=None 0 / 0, as in Chainer; the grids leave those geometries out.
    s = case['ksize'] if case['stride'] is None else case['stride']
    return all(k > p and ss * (pooled_size(d, k, ss, p, case['cover_all']) - 1) < p + d
               for d, k, ss, p in zip(case['x_shape'][2:], case['ksize'], s, case['pad']))


@testing.parameterize(*filter(_no_window_in_padding_only, _GRID))
class TestMaxPoolingND(testing.FunctionTestCase):
    def setUp(self):
        self.s = self.ksize if self.stride is None else self.stride
        _tolerances(self)

    def generate_inputs(self):
        # distinct values, far apart compared with the finite-difference step
        size = int(np.prod(self.x_shape))
        x = np.random.permutation(size).reshape(self.x_shape) * (2. / size) - 1
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return _func('max_pooling', self.x_shape)(inputs[0], self.ksize, self.stride, self.pad,
                                                  self.cover_all),

    def forward_expected(self, inputs):
        return max_pool_reference(inputs[0], self.ksize, self.s, self.pad, self.cover_all)[:1]


@testing.parameterize(*[dict(case, pad_value=pad_value) for case in _GRID
                        if not case['cover_all'] for pad_value in (0, None)
                        if pad_value == 0 or _no_window_in_padding_only(case)])
class TestAveragePoolingND(testing.FunctionTestCase):
    def setUp(self):
        self.s = self.ksize if self.stride is None else self.stride
        _tolerances(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.x_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return _func('average_pooling', self.x_shape)(inputs[0], self.ksize, self.stride,
                                                      self.pad, self.pad_value),

    def forward_expected(self, inputs):
        return average_pool_reference(inputs[0], self.ksize, self.s, self.pad, self.pad_value),


_UNPOOL_GRID = testing.product({
    'x_shape': [(2, 3, 3), (1, 1, 4)],
    'ksize': [(2,), (3,)],
    'stride': [None, (2,)],
    'pad': [(0,), (1,)],
    'cover_all': [True, False],
    'outsize': [None],
    'dtype': [np.float32, np.float64],
}) + testing.product({
    'x_shape': [(1, 2, 2, 3, 2)],
    'ksize': [(2, 1, 3)],
    'stride': [None, (1, 2, 2)],
    'pad': [(0, 0, 0), (1, 0, 1)],
    'cover_all': [True, False],
    'outsize': [None],
    'dtype': [np.float32, np.float64],
}) + [
    # pooling (4, 5, 3) gives (2, 3, 3) only with cover_all; (4, 6, 3) either way
    {'x_shape': (1, 2, 2, 3, 3), 'ksize': (2, 2, 1), 'stride': None, 'pad': (0, 0, 0),
     'cover_all': cover_all, 'outsize': outsize, 'dtype': dtype}
    for cover_all, outsize in [(True, (4, 5, 3)), (True, (4, 6, 3)), (False, (4, 6, 3))]
    for dtype in (np.float32, np.float64)]


@testing.parameterize(*_UNPOOL_GRID)
class TestUnpoolingND(testing.FunctionTestCase):
    def setUp(self):
        self.s = self.ksize if self.stride is None else self.stride
        _tolerances(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.x_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return _func('unpooling', self.x_shape)(inputs[0], self.ksize, self.stride, self.pad,
                                                self.outsize, self.cover_all),

    def forward_expected(self, inputs):
        return unpool_reference(inputs[0], self.ksize, self.s, self.pad, self.outsize,
                                self.cover_all),


def test_nd_equals_2d():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 7, 5)
    np.testing.assert_array_equal(F.max_pooling_nd(x, 3, 2, 1).array,
                                  F.max_pooling_2d(x, 3, 2, 1).array)
    np.testing.assert_array_equal(F.average_pooling_nd(x, 3, 2, 1).array,
                                  F.average_pooling_2d(x, 3, 2, 1).array)
    np.testing.assert_array_equal(F.unpooling_nd(x, 2, 1, 1).array,
                                  F.unpooling_2d(x, 2, 1, 1).array)


def test_max_pooling_nd_return_indices():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 5, 4, 3).astype(np.float32)
    y, idx = F.max_pooling_3d(x, 3, stride=2, pad=1, return_indices=True)
    ey, eidx = max_pool_reference(x, (3,) * 3, (2,) * 3, (1,) * 3, True)
    np.testing.assert_array_equal(y.array, ey)
    np.testing.assert_array_equal(idx, eidx)
    assert isinstance(idx, np.ndarray) and idx.dtype.kind == 'i'
    y1, idx1 = F.max_pooling_1d(x[:, :, :, 0, 0], 2, return_indices=True)
    assert y1.shape == idx1.shape == (2, 3, 3)


def test_max_pooling_nd_ties_and_overlaps():
    x = Variable(np.array([[[1., 1., 0., 9., 1.]]], np.float32))
    y = F.max_pooling_1d(x, 2, stride=1, cover_all=False)
    np.testing.assert_array_equal(y.array, [[[1., 1., 9., 9.]]])
    y.grad = np.array([[[1., 2., 3., 4.]]], np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [[[1., 2., 0., 7., 0.]]])


def test_tiling_windows_are_the_general_windows():
    """The reshape-and-transpose path for windows that tile the image holds, in 3-D,
    what the general gather (im2col_nd) holds, and puts back what col2im_nd puts back."""
    from tracegrad.functions.connection.im2col import col2im_nd, im2col_nd
    from tracegrad.functions.pooling.windows import Window

    shape = (2, 3, 4, 6, 3)
    window = Window.from_args('test', 3, (2, 3, 1), None, 0, True)
    assert window.tiles(shape[2:]) and not window.tiles((5, 6, 3))
    x = np.random.RandomState(0).randn(*shape)
    general = im2col_nd(x, window.ksize, window.stride, (0, 0, 0))
    col = window.columns(x)
    np.testing.assert_array_equal(col, general.reshape((2, 3, 6) + general.shape[5:]))
    np.testing.assert_array_equal(window.image(col, shape[2:]),
                                  col2im_nd(general, window.stride, (0, 0, 0), shape[2:]))


@pytest.mark.parametrize('call, error, match', [
    (lambda: F.max_pooling_1d(np.ones((1, 1, 4, 4), np.float32), 2), ValueError,
     'max_pooling_1d: x must have 1 spatial axes'),
    (lambda: F.max_pooling_3d(np.ones((1, 1, 4), np.float32), 2), ValueError,
     'max_pooling_3d: x must have 3 spatial axes'),
    (lambda: F.max_pooling_nd(np.ones((1, 1), np.float32), 2), ValueError,
     'max_pooling_nd: x must have shape'),
    (lambda: F.max_pooling_nd(np.ones((1, 1, 4, 4), np.float32), (2, 2, 2)), ValueError,
     'max_pooling_nd: ksize must be an int or a pair'),
    (lambda: F.max_pooling_3d(np.ones((1, 1, 4, 4, 4), np.float32), 2, stride=0), ValueError,
     'max_pooling_3d: stride must be positive'),
    (lambda: F.max_pooling_1d(np.ones((1, 1, 4), np.int32), 2), InvalidType,
     r"MaxPoolingND[\s\S]*x.dtype.kind == 'f'"),
    (lambda: F.average_pooling_1d(np.ones((1, 1, 4), np.float32), 2, pad=-1), ValueError,
     'average_pooling_1d: pad must be non-negative'),
    (lambda: F.average_pooling_3d(np.ones((1, 1, 4, 4), np.float32), 2), ValueError,
     'average_pooling_3d: x must have 3 spatial axes'),
    (lambda: F.average_pooling_nd(np.ones((1, 1, 4), np.float32), 2, pad_value=1), ValueError,
     'average_pooling_nd: pad_value must be 0 or None'),
    (lambda: F.average_pooling_nd(np.ones((1, 1, 4), np.int32), 2), InvalidType,
     r"AveragePoolingND[\s\S]*x.dtype.kind == 'f'"),
    (lambda: F.unpooling_3d(np.ones((1, 1, 2, 2, 2), np.float32), 2, outsize=(4, 4, 7)),
     InvalidType, r'UnpoolingND[\s\S]*x.shape\[4\] =='),
    (lambda: F.unpooling_1d(np.ones((1, 1, 2), np.float32), 2, outsize=(0,)), ValueError,
     'unpooling_1d: outsize must be positive'),
    (lambda: F.unpooling_1d(np.ones((1, 1, 2, 2), np.float32), 2), ValueError,
     'unpooling_1d: x must have 1 spatial axes'),
    # windows larger than the (padded) image leave no output: refused, as in Chainer
    (lambda: F.average_pooling_2d(np.ones((1, 1, 2, 5), np.float32), 3), RuntimeError,
     'average_pooling_2d: height in the output should be positive, got 0'),
    (lambda: F.average_pooling_3d(np.ones((1, 1, 4, 2, 4), np.float32), (1, 4, 1)),
     RuntimeError, 'average_pooling_3d: axis 3 in the output should be positive'),
    (lambda: F.max_pooling_1d(np.ones((1, 1, 2), np.float32), 3, cover_all=False),
     RuntimeError, 'max_pooling_1d: axis 2 in the output should be positive'),
    (lambda: F.max_pooling_2d(np.ones((1, 1, 5, 1), np.float32), 4, 1), RuntimeError,
     'max_pooling_2d: width in the output should be positive'),
])
def test_pooling_nd_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
