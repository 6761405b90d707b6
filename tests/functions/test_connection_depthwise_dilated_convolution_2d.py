"""depthwise_convolution_2d and dilated_convolution_2d against loops over output pixels."""
import numpy as np
import pytest
from test_connection_convolution_nd import _tolerances, conv_reference

import tracegrad.functions as F
from tracegrad import testing


def depthwise_reference(x, W, b, stride, pad):
    """y[n, c * m_count + m, i, j] = sum_{p, q} W[m, c, p, q] * x[n, c, i*sy + p - ph, ...]."""
    n, c, h, w = x.shape
    mult, _, kh, kw = W.shape
    (sy, sx), (ph, pw) = stride, pad
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_h, out_w = (h + 2 * ph - kh) // sy + 1, (w + 2 * pw - kw) // sx + 1
    y = np.zeros((n, c * mult, out_h, out_w), x.dtype)
    for ci in range(c):
        for m in range(mult):
            for i in range(out_h):
                for j in range(out_w):
                    patch = xp[:, ci, i * sy:i * sy + kh, j * sx:j * sx + kw]
                    y[:, ci * mult + m, i, j] = (patch * W[m, ci]).sum(axis=(1, 2))
    if b is not None:
        y += b[None, :, None, None]
    return y


def dilated_reference(x, W, b, stride, pad, dilate, cover_all):
    """A dilated convolution is an ungrouped convolution with ``dilate``."""
    return conv_reference(x, W, b, stride, pad, dilate, 1, cover_all)


@testing.parameterize(*testing.product({
    'x_shape': [(2, 3, 5, 4), (1, 1, 3, 3)],
    'mult': [1, 2],
    'k': [(2, 3)],
    'stride': [(1, 1), (2, 1)],
    'pad': [(0, 0), (1, 1)],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestDepthwiseConvolution2D(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        c = self.x_shape[1]
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (self.mult, c) + self.k).astype(self.dtype)
        if self.nobias:
            return x, W
        return x, W, np.random.uniform(-1, 1, (c * self.mult,)).astype(self.dtype)

    def forward(self, inputs, device):
        return F.depthwise_convolution_2d(*inputs, stride=self.stride, pad=self.pad),

    def forward_expected(self, inputs):
        b = inputs[2] if len(inputs) == 3 else None
        return depthwise_reference(inputs[0], inputs[1], b, self.stride, self.pad),


@testing.parameterize(*testing.product({
    'x_shape': [(2, 2, 7, 6), (1, 1, 5, 5)],
    'dilate': [(2, 2), (1, 3)],
    'stride': [(1, 1), (2, 2)],
    'pad': [(0, 0), (2, 1)],
    'cover_all': [False, True],
    'dtype': [np.float64],
}) + [{'x_shape': (1, 3, 6, 5), 'dilate': (2, 1), 'stride': (1, 2), 'pad': (1, 1),
       'cover_all': False, 'dtype': np.float32}])
class TestDilatedConvolution2D(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        c = self.x_shape[1]
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (3, c, 2, 2)).astype(self.dtype)
        return x, W, np.random.uniform(-1, 1, (3,)).astype(self.dtype)

    def forward(self, inputs, device):
        return F.dilated_convolution_2d(*inputs, self.stride, self.pad, self.dilate,
                                        self.cover_all),

    def forward_expected(self, inputs):
        return dilated_reference(*inputs, self.stride, self.pad, self.dilate, self.cover_all),


def test_dilated_positional_order_and_int_arguments():
    rng = np.random.RandomState(0)
    x, W = rng.randn(1, 2, 9, 9), rng.randn(3, 2, 3, 3)
    y = F.dilated_convolution_2d(x, W, None, 2, 1, 2)  # stride, pad, dilate
    np.testing.assert_allclose(y.array, dilated_reference(x, W, None, (2, 2), (1, 1), (2, 2),
                                                          False))


def test_errors():
    x = np.ones((1, 3, 5, 5), np.float32)
    with pytest.raises(ValueError, match='depthwise_convolution_2d: x has 3 channels'):
        F.depthwise_convolution_2d(x, np.ones((2, 4, 3, 3), np.float32))
    with pytest.raises(ValueError, match='depthwise_convolution_2d: W must have 4 axes'):
        F.depthwise_convolution_2d(x, np.ones((3, 3, 3), np.float32))
    with pytest.raises(ValueError, match='dilated_convolution_2d: dilate must be positive'):
        F.dilated_convolution_2d(x, np.ones((1, 3, 2, 2), np.float32), dilate=0)
    with pytest.raises(RuntimeError, match='dilated_convolution_2d: height in the output'):
        F.dilated_convolution_2d(x, np.ones((1, 3, 2, 2), np.float32), dilate=5)
