"""local_convolution_2d and shift against loops over output pixels."""
import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def local_conv_reference(x, W, b, stride):
    n = x.shape[0]
    c_o, out_h, out_w, _, kh, kw = W.shape
    y = np.zeros((n, c_o, out_h, out_w), x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            for o in range(c_o):
                y[:, o, i, j] = (patch * W[o, i, j]).sum(axis=(1, 2, 3))
    if b is not None:
        y += b[None]
    return y


@testing.parameterize(*testing.product({
    'x_shape': [(2, 3, 5, 4), (1, 1, 4, 7)],
    'k': [(2, 3), (1, 1)],
    'stride': [(1, 1), (2, 3)],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestLocalConvolution2D(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        _, c, h, w = self.x_shape
        out = ((h - self.k[0]) // self.stride[0] + 1, (w - self.k[1]) // self.stride[1] + 1)
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (2,) + out + (c,) + self.k).astype(self.dtype)
        if self.nobias:
            return x, W
        return x, W, np.random.uniform(-1, 1, (2,) + out).astype(self.dtype)

    def forward(self, inputs, device):
        return F.local_convolution_2d(*inputs, stride=self.stride),

    def forward_expected(self, inputs):
        b = inputs[2] if len(inputs) == 3 else None
        return local_conv_reference(inputs[0], inputs[1], b, self.stride),


def test_local_convolution_with_shared_filters_is_convolution():
    rng = np.random.RandomState(0)
    x, W = rng.randn(2, 3, 6, 5), rng.randn(4, 3, 3, 2)
    shared = np.broadcast_to(W[:, None, None], (4, 2, 2, 3, 3, 2))
    np.testing.assert_allclose(F.local_convolution_2d(x, shared, stride=2).array,
                               F.convolution_2d(x, W, stride=2).array, atol=1e-12)


def test_local_convolution_errors():
    x = np.ones((1, 3, 5, 5), np.float32)
    with pytest.raises(InvalidType, match=r'LocalConvolution2DFunction[\s\S]*W.ndim == 6'):
        F.local_convolution_2d(x, np.ones((2, 3, 3, 3), np.float32))
    with pytest.raises(InvalidType, match=r'x.shape\[1\] == W.shape\[3\]'):
        F.local_convolution_2d(x, np.ones((2, 3, 3, 2, 3, 3), np.float32))
    with pytest.raises(InvalidType, match=r'out_h\(x.shape\[2\]\) == W.shape\[1\]'):
        F.local_convolution_2d(x, np.ones((2, 4, 3, 3, 3, 3), np.float32))
    with pytest.raises(InvalidType, match=r'b.shape\[1\] == W.shape\[1\]'):
        F.local_convolution_2d(x, np.ones((2, 3, 3, 3, 3, 3), np.float32),
                               np.ones((2, 2, 3), np.float32))
    with pytest.raises(ValueError, match='local_convolution_2d: stride must be positive'):
        F.local_convolution_2d(x, np.ones((2, 3, 3, 3, 3, 3), np.float32), stride=0)


def shift_reference(x, ksize, dilate):
    """Channel ch is in group min(ch // size, kh * kw - 1); group g takes the grid cell g,
    except that the centre cell and the last one trade places; the channel moves by the
    cell's offset from the centre times dilate."""
    _, c, h, w = x.shape
    kh, kw = ksize
    groups = kh * kw
    size = c // groups
    y = np.zeros_like(x)
    for ch in range(c):
        g = min(ch // size, groups - 1)
        cell = {(groups - 1) // 2: groups - 1, groups - 1: (groups - 1) // 2}.get(g, g)
        dy = (cell // kw - kh // 2) * dilate[0]
        dx = (cell % kw - kw // 2) * dilate[1]
        for r in range(h):
            for q in range(w):
                if 0 <= r - dy < h and 0 <= q - dx < w:
                    y[:, ch, r, q] = x[:, ch, r - dy, q - dx]
    return y


@testing.parameterize(*testing.product({
    'x_shape': [(2, 9, 4, 5), (1, 11, 3, 3)],
    'ksize': [(3, 3), (1, 3)],
    'dilate': [(1, 1), (2, 1), (-1, 2)],
    'dtype': [np.float32, np.float64],
}) + [{'x_shape': (1, 26, 6, 7), 'ksize': (5, 5), 'dilate': (1, 1), 'dtype': np.float64}])
class TestShift(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.x_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.shift(inputs[0], self.ksize, self.dilate),

    def forward_expected(self, inputs):
        return shift_reference(inputs[0], self.ksize, self.dilate),


def test_shift_moves_channel_groups():
    x = np.zeros((1, 9, 3, 3), np.float32)
    x[:, :, 1, 1] = 1  # every channel has a one in the centre
    y = F.shift(x).array  # int ksize and dilate
    ones = [tuple(int(v) for v in np.argwhere(y[0, ch])[0]) for ch in range(9)]
    # group 4 takes the last cell (+1, +1); the last group stays in the centre
    assert ones == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 2), (1, 2), (2, 0), (2, 1), (1, 1)]


def test_shift_errors():
    x = np.ones((1, 9, 3, 3), np.float32)
    with pytest.raises(ValueError, match='shift: ksize must be odd'):
        F.shift(x, 2)
    with pytest.raises(ValueError, match='shift: dilate must be nonzero'):
        F.shift(x, 3, (1, 0))
    with pytest.raises(InvalidType, match=r'Shift[\s\S]*x.shape\[1\] >= 9'):
        F.shift(np.ones((1, 8, 3, 3), np.float32))
    with pytest.raises(InvalidType, match='x.ndim == 4'):
        F.shift(np.ones((9, 3, 3), np.float32))
