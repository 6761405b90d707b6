import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def pooled_size(size, k, s, p, cover_all):
    return (size + 2 * p - k + (s - 1 if cover_all else 0)) // s + 1


def max_pool_reference(x, k, s, p, cover_all):
    """Max and first argmax of each window, by loops over output pixels."""
    n, c, h, w = x.shape
    out_h, out_w = (pooled_size(h, k[0], s[0], p[0], cover_all),
                    pooled_size(w, k[1], s[1], p[1], cover_all))
    padded = np.full((n, c, h + 2 * p[0] + s[0], w + 2 * p[1] + s[1]), -np.inf, x.dtype)
    padded[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    y = np.empty((n, c, out_h, out_w), x.dtype)
    idx = np.empty((n, c, out_h, out_w), np.int64)
    for i in range(out_h):
        for j in range(out_w):
            win = padded[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            win = win.reshape(n, c, -1)
            y[:, :, i, j] = win.max(axis=2)
            idx[:, :, i, j] = win.argmax(axis=2)
    return y, idx


# With cover_all and padding a window can lie wholly in the padding and give
# -inf (as in Chainer); the grid avoids those geometries.
@testing.parameterize(*(testing.product({
    'x_shape': [(2, 3, 7, 6), (1, 1, 5, 4)],
    'ksize': [(3, 2), (2, 2)],
    'stride': [None, (2, 1), (1, 2)],
    'pad': [(0, 0), (0, 1)],
    'cover_all': [True, False],
    'dtype': [np.float32, np.float64],
}) + testing.product({
    'x_shape': [(2, 3, 7, 5)],
    'ksize': [(3, 2)],
    'stride': [None, (1, 2)],
    'pad': [(1, 1)],
    'cover_all': [False],
    'dtype': [np.float32, np.float64],
})))
class TestMaxPooling2D(testing.FunctionTestCase):
    def setUp(self):
        self.s = self.ksize if self.stride is None else self.stride
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        # distinct values, far apart compared with the finite-difference step
        size = int(np.prod(self.x_shape))
        x = np.random.permutation(size).reshape(self.x_shape) * (2. / size) - 1
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.max_pooling_2d(inputs[0], self.ksize, self.stride, self.pad, self.cover_all),

    def forward_expected(self, inputs):
        return max_pool_reference(inputs[0], self.ksize, self.s, self.pad, self.cover_all)[:1]


def test_max_pooling_return_indices():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 5, 7).astype(np.float32)
    y, idx = F.max_pooling_2d(x, 3, stride=2, pad=1, return_indices=True)
    ey, eidx = max_pool_reference(x, (3, 3), (2, 2), (1, 1), True)
    np.testing.assert_array_equal(y.array, ey)
    np.testing.assert_array_equal(idx, eidx)
    assert isinstance(idx, np.ndarray) and idx.dtype.kind == 'i'


def test_max_pooling_ties_send_gradient_to_first():
    x = Variable(np.ones((1, 1, 2, 4), np.float32))
    y = F.max_pooling_2d(x, 2)
    y.grad = np.array([[[[3., 5.]]]], np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [[[[3., 0., 5., 0.], [0., 0., 0., 0.]]]])


def test_max_pooling_overlapping_windows_accumulate():
    x = Variable(np.array([[[[0., 9., 1.]]]], np.float32))
    y = F.max_pooling_2d(x, (1, 2), stride=1, cover_all=False)
    np.testing.assert_array_equal(y.array, [[[[9., 9.]]]])
    y.grad = np.array([[[[1., 2.]]]], np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [[[[0., 3., 0.]]]])


def test_max_pooling_padding_never_wins():
    x = -np.ones((1, 1, 3, 3), np.float32)
    y = F.max_pooling_2d(x, 2, pad=1, cover_all=False)
    np.testing.assert_array_equal(y.array, -np.ones((1, 1, 2, 2)))


def test_max_pooling_errors():
    with pytest.raises(ValueError, match='max_pooling_2d: x must have 4 axes'):
        F.max_pooling_2d(np.ones((2, 3, 4), np.float32), 2)
    with pytest.raises(ValueError, match='max_pooling_2d: ksize must be positive'):
        F.max_pooling_2d(np.ones((1, 1, 4, 4), np.float32), 0)
    with pytest.raises(ValueError, match='max_pooling_2d: pad must be non-negative'):
        F.max_pooling_2d(np.ones((1, 1, 4, 4), np.float32), 2, pad=-1)
    with pytest.raises(InvalidType, match="MaxPooling2D[\\s\\S]*x.dtype.kind == 'f'"):
        F.max_pooling_2d(np.ones((1, 1, 4, 4), np.int32), 2)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('ksize,shape', [(2, (2, 3, 4, 6)), ((3, 2), (1, 2, 6, 4)),
                                         (1, (1, 1, 3, 5))])
def test_tiling_windows_are_the_general_windows(dtype, ksize, shape):
    """Windows that tile the image (stride = ksize, no padding, sizes divisible) are taken
    by a reshape and a transpose; they hold what the general gather (im2col) holds, and
    put back (col2im) what it puts back."""
    from tracegrad.functions.connection.im2col import col2im_nd, im2col_nd
    from tracegrad.functions.pooling.windows import Window

    window = Window.from_args('test', 2, ksize, None, 0, True)
    assert window.tiles(shape[2:])
    if window.ksize[0] > 1:  # a size not divisible, a smaller stride, padding: no tiling
        assert not window.tiles((shape[2] + 1, shape[3]))
        assert not Window.from_args('test', 2, ksize, 1, 0, True).tiles(shape[2:])
        assert not Window.from_args('test', 2, ksize, None, 1, True).tiles(shape[2:])
    x = np.random.RandomState(0).randn(*shape).astype(dtype)
    general = im2col_nd(x, window.ksize, window.stride, (0, 0))
    n, c, kh, kw, oh, ow = general.shape
    col = window.columns(x)
    np.testing.assert_array_equal(col, general.reshape(n, c, kh * kw, oh, ow))
    np.testing.assert_array_equal(window.image(col, shape[2:]),
                                  col2im_nd(general, window.stride, (0, 0), shape[2:]))
