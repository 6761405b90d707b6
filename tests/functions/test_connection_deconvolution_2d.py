import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def deconv_reference(x, W, b, stride, pad, dilate, groups, outsize):
    """Each input pixel adds its weighted kernel into the output; then crop the padding."""
    n, c, h, w = x.shape
    _, o_g, kh, kw = W.shape
    (sy, sx), (ph, pw), (dy, dx) = stride, pad, dilate
    ext_h, ext_w = dy * (kh - 1) + 1, dx * (kw - 1) + 1
    if outsize is None:
        outsize = (sy * (h - 1) + ext_h - 2 * ph, sx * (w - 1) + ext_w - 2 * pw)
    full = np.zeros((n, o_g * groups, max(sy * (h - 1) + ext_h, outsize[0] + 2 * ph),
                     max(sx * (w - 1) + ext_w, outsize[1] + 2 * pw)), x.dtype)
    c_g = c // groups
    for i in range(h):
        for j in range(w):
            for g in range(groups):
                full[:, g * o_g:(g + 1) * o_g, i * sy:i * sy + ext_h:dy,
                     j * sx:j * sx + ext_w:dx] += np.einsum(
                    'nc,cokl->nokl', x[:, g * c_g:(g + 1) * c_g, i, j],
                    W[g * c_g:(g + 1) * c_g])
    y = full[:, :, ph:ph + outsize[0], pw:pw + outsize[1]]
    if b is not None:
        y = y + b[None, :, None, None]
    return y


@testing.parameterize(*(testing.product({
    'x_shape': [(2, 4, 3, 4)],
    'k': [(3, 2)],
    'stride': [(1, 1), (2, 3)],
    'pad': [(0, 0), (1, 1)],
    'dilate': [(1, 1), (1, 2)],
    'groups': [1, 2],
    'outsize': [None],
    'nobias': [False],
    'dtype': [np.float64],
}) + testing.product({
    'x_shape': [(1, 3, 3, 5)],
    'k': [(3, 3)],
    'stride': [(2, 2)],
    'pad': [(1, 1)],
    'dilate': [(1, 1)],
    'groups': [1, 3],
    # (6, 10) needs the extra row/column that only cover_all pooling reaches
    'outsize': [None, (6, 10)],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
})))
class TestDeconvolution2D(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
        else:
            self.check_backward_options = {'atol': 1e-7, 'rtol': 1e-6}
            self.check_double_backward_options = {'atol': 1e-7, 'rtol': 1e-6}

    def generate_inputs(self):
        c = self.x_shape[1]
        o_g = 2
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (c, o_g) + self.k).astype(self.dtype)
        if self.nobias:
            return x, W
        return x, W, np.random.uniform(-1, 1, (o_g * self.groups,)).astype(self.dtype)

    def forward(self, inputs, device):
        return F.deconvolution_2d(*inputs, stride=self.stride, pad=self.pad,
                                  outsize=self.outsize, dilate=self.dilate,
                                  groups=self.groups),

    def forward_expected(self, inputs):
        b = inputs[2] if len(inputs) == 3 else None
        return deconv_reference(inputs[0], inputs[1], b, self.stride, self.pad, self.dilate,
                                self.groups, self.outsize),


def test_deconvolution_is_convolution_transpose():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 7, 6)
    W = rng.randn(4, 3, 3, 2)
    y = F.convolution_2d(x, W, stride=2, pad=1, cover_all=True)
    gy = rng.randn(*y.shape)
    z = F.deconvolution_2d(gy, W, stride=2, pad=1, outsize=(7, 6))
    # <conv(x), gy> == <x, deconv(gy)>
    np.testing.assert_allclose((y.array * gy).sum(), (x * z.array).sum())


def test_deconvolution_outsize_must_match():
    x = np.ones((1, 1, 3, 3), np.float32)
    W = np.ones((1, 1, 3, 3), np.float32)
    with pytest.raises(InvalidType, match=r'Deconvolution2DFunction[\s\S]*x.shape\[2\]'):
        F.deconvolution_2d(x, W, stride=2, outsize=(12, 7))


@pytest.mark.parametrize('x_shape, w_shape, b_shape, kwargs, match', [
    ((2, 3, 5, 5), (4, 2, 3, 3), None, {}, r'x.shape\[1\] == W.shape\[0\]'),
    ((2, 3, 5, 5), (3, 2, 3, 3), None, {'groups': 2}, r'W.shape\[0\] % 2 == 0'),
    ((2, 3, 5, 5), (3, 2, 3, 3), (3,), {}, r'b.shape\[0\] == W.shape\[1\] \* 1'),
    ((3, 5, 5), (3, 2, 3, 3), None, {}, 'x.ndim == 4'),
])
def test_deconvolution_type_errors(x_shape, w_shape, b_shape, kwargs, match):
    args = [np.ones(x_shape, np.float32), np.ones(w_shape, np.float32)]
    if b_shape is not None:
        args.append(np.ones(b_shape, np.float32))
    with pytest.raises(InvalidType, match='Deconvolution2DFunction') as e:
        F.deconvolution_2d(*args, **kwargs)
    assert e.match(match)


def test_deconvolution_bad_arguments():
    x = np.ones((1, 1, 3, 3), np.float32)
    W = np.ones((1, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match='deconvolution_2d: outsize must be positive'):
        F.deconvolution_2d(x, W, outsize=(0, 5))
    with pytest.raises(ValueError, match='deconvolution_2d: stride must be positive'):
        F.deconvolution_2d(x, W, stride=(1, 0))
    with pytest.raises(RuntimeError, match='deconvolution_2d: height in the output'):
        F.deconvolution_2d(np.ones((1, 1, 1, 3), np.float32), W, pad=(2, 0))
