import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def resize_ref(x, out_h, out_w, mode, align_corners):
    """Per output pixel: find the source coordinates and blend four neighbours."""
    n, c, h, w = x.shape
    y = np.zeros((n, c, out_h, out_w), np.float64)

    def source(i, out_size, in_size):
        if mode == 'nearest':
            return min(int(np.floor(i * in_size / out_size)), in_size - 1), 0.0
        if align_corners:
            p = 0.0 if out_size == 1 else i * (in_size - 1) / (out_size - 1)
        else:
            p = max((i + 0.5) * in_size / out_size - 0.5, 0.0)
        lo = int(np.floor(p))
        return lo, p - lo

    for i in range(out_h):
        v0, vw = source(i, out_h, h)
        v1 = min(v0 + 1, h - 1)
        for j in range(out_w):
            u0, uw = source(j, out_w, w)
            u1 = min(u0 + 1, w - 1)
            y[:, :, i, j] = ((1 - vw) * (1 - uw) * x[:, :, v0, u0] + (1 - vw) * uw * x[:, :, v0, u1]
                             + vw * (1 - uw) * x[:, :, v1, u0] + vw * uw * x[:, :, v1, u1])
    return y.astype(x.dtype)


@testing.parameterize(*testing.product({
    'case': [((1, 1, 2, 3), (5, 7)), ((2, 3, 5, 4), (3, 2)), ((1, 2, 3, 3), (3, 3)),
             ((2, 1, 1, 4), (3, 1)), ((1, 1, 4, 5), (1, 6))],
    'mode': ['bilinear', 'nearest'],
    'align_corners': [True, False],
    'dtype': [np.float32, np.float64],
}))
class TestResizeImages(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.output_shape = self.case
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.resize_images(inputs[0], self.output_shape, mode=self.mode,
                               align_corners=self.align_corners),

    def forward_expected(self, inputs):
        return resize_ref(inputs[0], *self.output_shape, self.mode, self.align_corners),


def test_default_is_bilinear_with_aligned_corners():
    x = np.random.rand(1, 2, 3, 4).astype(np.float32)
    np.testing.assert_allclose(F.resize_images(x, (5, 6)).array,
                               resize_ref(x, 5, 6, 'bilinear', True), rtol=1e-5)


def test_errors():
    x = np.zeros((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="resize_images: mode"):
        F.resize_images(x, (3, 3), mode='bicubic')
    with pytest.raises(ValueError, match='resize_images: x must be 4-d'):
        F.resize_images(np.zeros((1, 2, 2), np.float32), (3, 3))
    with pytest.raises(TypeError, match='resize_images: output_shape'):
        F.resize_images(x, 3)
    with pytest.raises(ValueError, match='resize_images: output_shape must be positive'):
        F.resize_images(x, (0, 3))
    with pytest.raises(InvalidType, match='ResizeImages'):
        F.resize_images(np.zeros((1, 1, 2, 2), np.int32), (3, 3))
    with pytest.raises(TypeError):
        F.resize_images(x, (3, 3), 'nearest')  # mode is keyword-only
