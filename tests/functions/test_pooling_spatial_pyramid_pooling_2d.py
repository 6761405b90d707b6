import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing


def spp_reference(x, height):
    """For each level and bin, the max over the bin's cells (bins of ceil(size / 2^i)
    cells, centred by dropping (2^i * k - size) // 2 cells before the first)."""
    n, c, h, w = x.shape
    out = []
    for level in range(height):
        bins = 2 ** level
        kh, kw = -(-h // bins), -(-w // bins)
        ph, pw = (kh * bins - h) // 2, (kw * bins - w) // 2
        rows = (h + 2 * ph - kh + kh - 1) // kh + 1
        cols = (w + 2 * pw - kw + kw - 1) // kw + 1
        level_out = np.empty((n, c, rows, cols), x.dtype)
        for i in range(rows):
            for j in range(cols):
                r0, c0 = max(i * kh - ph, 0), max(j * kw - pw, 0)
                level_out[:, :, i, j] = x[:, :, r0:i * kh - ph + kh,
                                          c0:j * kw - pw + kw].max(axis=(2, 3))
        out.append(level_out.reshape(n, -1))
    return np.concatenate(out, axis=1)[:, :, None, None]


@testing.parameterize(*testing.product({
    'x_shape': [(2, 3, 9, 7), (1, 1, 4, 4), (1, 2, 6, 10)],
    'height': [1, 2, 3],
    'dtype': [np.float32, np.float64],
}))
class TestSpatialPyramidPooling2D(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        size = int(np.prod(self.x_shape))  # distinct values, far apart
        x = np.random.permutation(size).reshape(self.x_shape) * (2. / size) - 1
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.spatial_pyramid_pooling_2d(inputs[0], self.height, 'max'),

    def forward_expected(self, inputs):
        return spp_reference(inputs[0], self.height),


def test_spp_output_length_is_fixed():
    for shape in [(2, 3, 9, 7), (2, 3, 16, 12), (2, 3, 6, 6)]:
        assert F.spatial_pyramid_pooling_2d(np.zeros(shape, np.float32), 3,
                                            'max').shape == (2, 3 * 21, 1, 1)


def test_spp_errors():
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="spatial_pyramid_pooling_2d: pooling must be 'max'"):
        F.spatial_pyramid_pooling_2d(x, 2)
    with pytest.raises(ValueError, match="pooling must be 'max'"):
        F.spatial_pyramid_pooling_2d(x, 2, 'avg')
    with pytest.raises(ValueError, match='spatial_pyramid_pooling_2d: x must have 4 axes'):
        F.spatial_pyramid_pooling_2d(np.zeros((1, 4, 4), np.float32), 2, 'max')
    with pytest.raises(ValueError, match='pyramid_height must be a positive int'):
        F.spatial_pyramid_pooling_2d(x, 0, 'max')
