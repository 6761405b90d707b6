import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing


def _bilinear(image, y, x):
    """``image`` (c, h, w) at the fractional point (y, x), reading zeros outside."""
    c, h, w = image.shape
    y0, x0 = int(np.floor(y)), int(np.floor(x))
    out = np.zeros(c)
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += wy * wx * image[:, yy, xx]
    return out


def _deformable_ref(x, offset, W, b, stride, pad):
    """Naive loops: each tap samples the padded input at its grid point plus its offset."""
    (sy, sx), (ph, pw) = stride, pad
    n = x.shape[0]
    c_out, _, kh, kw = W.shape
    out_h, out_w = offset.shape[2:]
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((n, c_out, out_h, out_w))
    for i in range(n):
        for p in range(out_h):
            for q in range(out_w):
                for ky in range(kh):
                    for kx in range(kw):
                        tap = ky * kw + kx
                        sample = _bilinear(padded[i], p * sy + ky + offset[i, kh * kw + tap, p, q],
                                           q * sx + kx + offset[i, tap, p, q])
                        y[i, :, p, q] += W[:, :, ky, kx] @ sample
    if b is not None:
        y += b[None, :, None, None]
    return y


def _offsets_away_from_kinks(shape, spread):
    """Offsets whose fractional parts keep clear of integers (the bilinear weights' kinks)."""
    whole = np.random.randint(-spread, spread + 1, shape)
    return whole + np.random.uniform(0.15, 0.85, shape)


@testing.parameterize(*testing.product({
    'case': [
        # x shape, (c_out, kh, kw), stride, pad
        ((2, 3, 5, 4), (2, 3, 3), (1, 1), (0, 0)),
        ((1, 2, 6, 7), (3, 2, 3), (2, 1), (1, 2)),
        ((3, 1, 4, 3), (1, 1, 1), (1, 2), (0, 1)),
        ((1, 3, 3, 5), (5, 3, 2), (1, 3), (1, 0)),
    ],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestDeformableConvolution2DSampler(testing.FunctionTestCase):
    def setUp(self):
        self.x_shape, (self.c_out, self.kh, self.kw), self.stride, self.pad = self.case
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 5e-3, 'rtol': 1e-2, 'eps': 1e-3}
            self.check_double_backward_options = {'atol': 5e-3, 'rtol': 1e-2, 'eps': 1e-3}
        else:
            self.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}
            self.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}

    def generate_inputs(self):
        n, c, h, w = self.x_shape
        (sy, sx), (ph, pw) = self.stride, self.pad
        out_h = (h + 2 * ph - self.kh) // sy + 1
        out_w = (w + 2 * pw - self.kw) // sx + 1
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        offset = _offsets_away_from_kinks((n, 2 * self.kh * self.kw, out_h, out_w), 2)
        W = np.random.uniform(-1, 1, (self.c_out, c, self.kh, self.kw)).astype(self.dtype)
        if self.nobias:
            return x, offset.astype(self.dtype), W
        return x, offset.astype(self.dtype), W, np.random.uniform(
            -1, 1, self.c_out).astype(self.dtype)

    def forward(self, inputs, device):
        x, offset, W, *b = inputs
        return F.deformable_convolution_2d_sampler(x, offset, W, *b, stride=self.stride,
                                                   pad=self.pad),

    def forward_expected(self, inputs):
        x, offset, W, *b = inputs
        return _deformable_ref(x, offset, W, b[0] if b else None, self.stride,
                               self.pad).astype(self.dtype),


@pytest.mark.parametrize('x_shape,w_shape,stride,pad', [
    ((2, 3, 6, 5), (4, 3, 3, 3), 1, 1),
    ((1, 2, 7, 4), (3, 2, 2, 3), (2, 1), (0, 2)),
    ((3, 1, 5, 5), (2, 1, 5, 5), 2, 2),
])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_zero_offsets_give_convolution_2d(x_shape, w_shape, stride, pad, dtype):
    rng = np.random.RandomState(0)
    x = rng.randn(*x_shape).astype(dtype)
    W = rng.randn(*w_shape).astype(dtype)
    b = rng.randn(w_shape[0]).astype(dtype)
    expected = F.convolution_2d(x, W, b, stride=stride, pad=pad)
    offset = np.zeros((x_shape[0], 2 * w_shape[2] * w_shape[3]) + expected.shape[2:], dtype)
    y = F.deformable_convolution_2d_sampler(x, offset, W, b, stride, pad)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.array, expected.array, rtol=1e-5, atol=1e-5)


def test_integer_offsets_shift_the_taps():
    """An offset of whole pixels reads the neighbouring pixel exactly."""
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    W = np.ones((1, 1, 1, 1))
    offset = np.zeros((1, 2, 4, 4))
    offset[0, 0] = 1.  # one pixel right
    offset[0, 1] = -1.  # one pixel up
    y = F.deformable_convolution_2d_sampler(x, offset, W)
    expected = np.zeros((4, 4))
    expected[1:, :3] = x[0, 0, :3, 1:]
    np.testing.assert_array_equal(y.array[0, 0], expected)


def test_errors():
    x = np.zeros((2, 3, 5, 5), np.float32)
    W = np.zeros((4, 3, 3, 3), np.float32)
    offset = np.zeros((2, 18, 3, 3), np.float32)
    name = 'deformable_convolution_2d_sampler'
    with pytest.raises(ValueError, match=f'{name}: offset must have shape'):
        F.deformable_convolution_2d_sampler(x, offset[:, :9], W)
    with pytest.raises(ValueError, match=f'{name}: offset must have shape'):
        F.deformable_convolution_2d_sampler(x, offset, W, pad=1)
    with pytest.raises(ValueError, match=f'{name}: x must be 4-D'):
        F.deformable_convolution_2d_sampler(x[0], offset, W)
    with pytest.raises(ValueError, match=f'{name}: W must have shape'):
        F.deformable_convolution_2d_sampler(x, offset, W[:, :2])
    with pytest.raises(ValueError, match=f'{name}: b must have shape'):
        F.deformable_convolution_2d_sampler(x, offset, W, np.zeros(3, np.float32))
    with pytest.raises(TypeError, match=f'{name}: x, offset, W and b must have one float'):
        F.deformable_convolution_2d_sampler(x, offset.astype(np.float64), W)
    with pytest.raises(TypeError, match=f'{name}: x, offset, W and b must have one float'):
        F.deformable_convolution_2d_sampler(x.astype(np.int32), offset, W)
    with pytest.raises(ValueError, match=f'{name}: the 3x3 filters do not fit'):
        F.deformable_convolution_2d_sampler(x[:, :, :2], offset, W)
    with pytest.raises(ValueError, match=f'{name}: stride must be positive'):
        F.deformable_convolution_2d_sampler(x, offset, W, stride=0)
    with pytest.raises(ValueError, match=f'{name}: pad must be non-negative'):
        F.deformable_convolution_2d_sampler(x, offset, W, pad=-1)
