import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
    else:
        case.check_backward_options = {'atol': 1e-7, 'rtol': 1e-6}
        case.check_double_backward_options = {'atol': 1e-7, 'rtol': 1e-6}


def conv_reference(x, W, b, stride, pad, dilate, groups, cover_all):
    """Direct loops over output pixels and groups."""
    n, c, h, w = x.shape
    c_o, c_g, kh, kw = W.shape
    (sy, sx), (ph, pw), (dy, dx) = stride, pad, dilate
    ext_h, ext_w = dy * (kh - 1) + 1, dx * (kw - 1) + 1
    out_h = (h + 2 * ph - ext_h + (sy - 1 if cover_all else 0)) // sy + 1
    out_w = (w + 2 * pw - ext_w + (sx - 1 if cover_all else 0)) // sx + 1
    xp = np.zeros((n, c, h + 2 * ph + sy, w + 2 * pw + sx), x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    y = np.zeros((n, c_o, out_h, out_w), x.dtype)
    o_g = c_o // groups
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[:, :, i * sy:i * sy + ext_h:dy, j * sx:j * sx + ext_w:dx]
            for g in range(groups):
                y[:, g * o_g:(g + 1) * o_g, i, j] = np.tensordot(
                    patch[:, g * c_g:(g + 1) * c_g], W[g * o_g:(g + 1) * o_g],
                    ((1, 2, 3), (1, 2, 3)))
    if b is not None:
        y += b[None, :, None, None]
    return y


@testing.parameterize(*(testing.product({
    'x_shape': [(2, 4, 5, 6)],
    'k': [(3, 2)],
    'stride': [(1, 1), (2, 3)],
    'pad': [(0, 0), (1, 2)],
    'dilate': [(1, 1), (2, 1)],
    'groups': [1, 2],
    'cover_all': [False, True],
    'nobias': [False],
    'dtype': [np.float64],
}) + testing.product({
    'x_shape': [(1, 3, 7, 5)],
    'k': [(3, 3), (1, 1)],
    'stride': [(2, 2)],
    'pad': [(1, 1)],
    'dilate': [(1, 1)],
    'groups': [1, 3],
    'cover_all': [False, True],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
})))
class TestConvolution2D(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        c = self.x_shape[1]
        c_o = 2 * self.groups
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (c_o, c // self.groups) + self.k).astype(self.dtype)
        if self.nobias:
            return x, W
        return x, W, np.random.uniform(-1, 1, (c_o,)).astype(self.dtype)

    def forward(self, inputs, device):
        return F.convolution_2d(*inputs, stride=self.stride, pad=self.pad,
                                cover_all=self.cover_all, dilate=self.dilate,
                                groups=self.groups),

    def forward_expected(self, inputs):
        b = inputs[2] if len(inputs) == 3 else None
        return conv_reference(inputs[0], inputs[1], b, self.stride, self.pad, self.dilate,
                              self.groups, self.cover_all),


def test_convolution_cover_all_output_size():
    x = np.zeros((1, 1, 5, 5), np.float32)
    W = np.zeros((1, 1, 2, 2), np.float32)
    assert F.convolution_2d(x, W, stride=2).shape == (1, 1, 2, 2)
    assert F.convolution_2d(x, W, stride=2, cover_all=True).shape == (1, 1, 3, 3)


def test_convolution_int_stride_and_pad():
    rng = np.random.RandomState(0)
    x = rng.randn(1, 2, 6, 6)
    W = rng.randn(3, 2, 3, 3)
    y = F.convolution_2d(x, W, stride=2, pad=1)
    np.testing.assert_allclose(
        y.array, conv_reference(x, W, None, (2, 2), (1, 1), (1, 1), 1, False))


def test_convolution_weight_gradient_formula():
    rng = np.random.RandomState(1)
    x = rng.randn(2, 2, 4, 4)
    W = Variable(rng.randn(3, 2, 2, 2))
    y = F.convolution_2d(x, W)
    gy = rng.randn(*y.shape)
    y.grad = gy
    y.backward()
    expected = np.zeros_like(W.array)
    for i in range(3):
        for j in range(3):
            expected += np.einsum('no,nckl->ockl', gy[:, :, i, j], x[:, :, i:i + 2, j:j + 2])
    np.testing.assert_allclose(W.grad, expected)


@pytest.mark.parametrize('x_shape, w_shape, b_shape, kwargs, match', [
    ((2, 3, 5, 5), (4, 2, 3, 3), None, {}, r'x.shape\[1\] == W.shape\[1\] \* 1'),
    ((2, 4, 5, 5), (3, 2, 3, 3), None, {'groups': 2}, r'W.shape\[0\] % 2 == 0'),
    ((2, 3, 5), (4, 3, 3, 3), None, {}, 'x.ndim == 4'),
    ((2, 3, 5, 5), (4, 3, 3), None, {}, 'W.ndim == 4'),
    ((2, 3, 5, 5), (4, 3, 3, 3), (3,), {}, r'b.shape\[0\] == W.shape\[0\]'),
])
def test_convolution_type_errors(x_shape, w_shape, b_shape, kwargs, match):
    args = [np.ones(x_shape, np.float32), np.ones(w_shape, np.float32)]
    if b_shape is not None:
        args.append(np.ones(b_shape, np.float32))
    with pytest.raises(InvalidType, match='Convolution2DFunction') as e:
        F.convolution_2d(*args, **kwargs)
    assert e.match(match)


def test_convolution_dtype_mismatch():
    with pytest.raises(InvalidType, match='W.dtype == x.dtype'):
        F.convolution_2d(np.ones((1, 1, 3, 3), np.float32), np.ones((1, 1, 2, 2), np.float64))


@pytest.mark.parametrize('kwargs, error, match', [
    ({'stride': 0}, ValueError, 'convolution_2d: stride must be positive'),
    ({'pad': -1}, ValueError, 'convolution_2d: pad must be non-negative'),
    ({'dilate': (1, 0)}, ValueError, 'convolution_2d: dilate must be positive'),
    ({'groups': 0}, ValueError, 'convolution_2d: groups must be positive'),
    ({'stride': (1, 2, 3)}, ValueError, 'convolution_2d: stride must be an int or a pair'),
    ({'pad': 1.5}, TypeError, 'convolution_2d: pad must be an int or a pair'),
])
def test_convolution_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        F.convolution_2d(np.ones((1, 1, 3, 3), np.float32), np.ones((1, 1, 2, 2), np.float32),
                         **kwargs)


def test_convolution_output_too_small():
    with pytest.raises(RuntimeError, match='convolution_2d: height in the output'):
        F.convolution_2d(np.ones((1, 1, 2, 4), np.float32), np.ones((1, 1, 3, 3), np.float32))
