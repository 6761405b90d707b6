import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'case': [(1, (3, 4)), (2, (5, 1)), (3, (1, 1)), (2, (2, 7))],
    'dtype': [np.float32, np.float64],
}))
class TestSpatialTransformerGrid(testing.FunctionTestCase):
    def setUp(self):
        self.n, self.output_shape = self.case
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, (self.n, 2, 3)).astype(self.dtype),

    def forward(self, inputs, device):
        return F.spatial_transformer_grid(inputs[0], self.output_shape),

    def forward_expected(self, inputs):
        theta, = inputs
        h, w = self.output_shape
        out = np.zeros((self.n, 2, h, w))
        for b in range(self.n):
            for i in range(h):
                for j in range(w):
                    yt = -1 + 2 * i / (h - 1) if h > 1 else -1.
                    xt = -1 + 2 * j / (w - 1) if w > 1 else -1.
                    out[b, :, i, j] = theta[b] @ np.array([xt, yt, 1.])
        return out.astype(self.dtype),


def _sample_ref(x, grid):
    """Per output point: bilinear interpolation with zeros outside the image."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[2:])

    def pixel(b, yy, xx):
        return x[b, :, yy, xx] if 0 <= yy < h and 0 <= xx < w else np.zeros(c)

    for b in range(n):
        for i in range(grid.shape[2]):
            for j in range(grid.shape[3]):
                px = (grid[b, 0, i, j] + 1) * (w - 1) / 2
                py = (grid[b, 1, i, j] + 1) * (h - 1) / 2
                px, py = np.clip(px, -1, w), np.clip(py, -1, h)
                x0, y0 = int(np.floor(px)), int(np.floor(py))
                fx, fy = px - x0, py - y0
                out[b, :, i, j] = ((1 - fx) * (1 - fy) * pixel(b, y0, x0)
                                   + fx * (1 - fy) * pixel(b, y0, x0 + 1)
                                   + (1 - fx) * fy * pixel(b, y0 + 1, x0)
                                   + fx * fy * pixel(b, y0 + 1, x0 + 1))
    return out.astype(x.dtype)


def _grid_away_from_kinks(shape, h, w, spread):
    """Points whose pixel coordinates keep clear of integers (where the bilinear weights kink)."""
    grid = np.random.uniform(-spread, spread, shape)
    for k, size in ((0, w), (1, h)):
        p = (grid[:, k] + 1) * (size - 1) / 2
        frac = p - np.floor(p)
        p = np.floor(p) + np.clip(frac, 0.15, 0.85)
        grid[:, k] = p * 2 / (size - 1) - 1
    return grid


@testing.parameterize(*testing.product({
    'case': [((2, 3, 4, 5), (3, 2), 0.9), ((1, 1, 3, 3), (4, 5), 1.4), ((3, 2, 5, 2), (1, 3), 2.5)],
    'dtype': [np.float32, np.float64],
}))
class TestSpatialTransformerSampler(testing.FunctionTestCase):
    def setUp(self):
        self.x_shape, self.out_shape, self.spread = self.case
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-2, 'rtol': 1e-2, 'eps': 1e-3}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2, 'eps': 1e-3}
        else:
            self.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}
            self.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-4}

    def generate_inputs(self):
        n, _, h, w = self.x_shape
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        grid = _grid_away_from_kinks((n, 2) + self.out_shape, h, w, self.spread)
        return x, grid.astype(self.dtype)

    def forward(self, inputs, device):
        return F.spatial_transformer_sampler(*inputs),

    def forward_expected(self, inputs):
        return _sample_ref(*inputs),


def test_identity_warp_reproduces_the_image():
    x = np.random.rand(2, 3, 4, 5)
    theta = np.tile(np.array([[1., 0., 0.], [0., 1., 0.]]), (2, 1, 1))
    y = F.spatial_transformer_sampler(x, F.spatial_transformer_grid(theta, (4, 5)))
    np.testing.assert_allclose(y.array, x, rtol=1e-12)


def test_errors():
    with pytest.raises(InvalidType, match='SpatialTransformerGrid'):
        F.spatial_transformer_grid(np.zeros((2, 3, 3), np.float32), (2, 2))
    with pytest.raises(TypeError, match='spatial_transformer_grid: output_shape'):
        F.spatial_transformer_grid(np.zeros((2, 2, 3), np.float32), 4)
    with pytest.raises(ValueError, match='spatial_transformer_grid: the use_cudnn'):
        F.spatial_transformer_grid(np.zeros((2, 2, 3), np.float32), (2, 2), use_cudnn=True)
    x = np.zeros((2, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match='spatial_transformer_sampler: expected'):
        F.spatial_transformer_sampler(x, np.zeros((2, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match='spatial_transformer_sampler: expected'):
        F.spatial_transformer_sampler(x, np.zeros((1, 2, 2, 2), np.float32))
    with pytest.raises(TypeError, match='spatial_transformer_sampler: x and grid'):
        F.spatial_transformer_sampler(x, np.zeros((2, 2, 2, 2), np.float64))
