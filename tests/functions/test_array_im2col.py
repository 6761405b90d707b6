import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def im2col_reference(x, k, s, p, cover_all, d):
    """y[n, (c * kh + i) * kw + j, a, b] = x[n, c, a * sy + i * dy - ph, b * sx + j * dx - pw]."""
    n, c, h, w = x.shape
    out = [(size + 2 * pp - (kk - 1) * dd - 1 + (ss - 1 if cover_all else 0)) // ss + 1
           for size, kk, ss, pp, dd in zip((h, w), k, s, p, d)]
    y = np.zeros((n, c * k[0] * k[1], out[0], out[1]), x.dtype)
    for ci in range(c):
        for i in range(k[0]):
            for j in range(k[1]):
                for a in range(out[0]):
                    for b in range(out[1]):
                        row, col = a * s[0] + i * d[0] - p[0], b * s[1] + j * d[1] - p[1]
                        if 0 <= row < h and 0 <= col < w:
                            y[:, (ci * k[0] + i) * k[1] + j, a, b] = x[:, ci, row, col]
    return y


@testing.parameterize(*(testing.product({
    'x_shape': [(2, 3, 5, 4), (1, 1, 3, 7)],
    'ksize': [(2, 3)],
    'stride': [(1, 1), (2, 3)],
    'pad': [(0, 0), (1, 2)],
    'cover_all': [False, True],
    'dilate': [(1, 1), (2, 1)],
    'dtype': [np.float64],
}) + testing.product({
    'x_shape': [(1, 2, 5, 5)],
    'ksize': [(3, 3), (1, 1)],
    'stride': [(2, 2)],
    'pad': [(1, 1)],
    'cover_all': [False, True],
    'dilate': [(1, 1)],
    'dtype': [np.float32],
})))
class TestIm2Col(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.x_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.im2col(inputs[0], self.ksize, self.stride, self.pad, self.cover_all,
                        self.dilate),

    def forward_expected(self, inputs):
        return im2col_reference(inputs[0], self.ksize, self.stride, self.pad, self.cover_all,
                                self.dilate),


def test_im2col_int_arguments_and_convolution():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 6, 5)
    W = rng.randn(4, 3, 3, 3)
    col = F.im2col(x, 3, stride=2, pad=1)
    np.testing.assert_array_equal(col.array, im2col_reference(x, (3, 3), (2, 2), (1, 1),
                                                              False, (1, 1)))
    y = np.einsum('ok,nkab->noab', W.reshape(4, -1), col.array)
    np.testing.assert_allclose(y, F.convolution_2d(x, W, stride=2, pad=1).array)


def test_im2col_errors():
    with pytest.raises(InvalidType, match=r'Im2Col[\s\S]*x.ndim == 4'):
        F.im2col(np.ones((1, 1, 3), np.float32), 2)
    with pytest.raises(InvalidType, match="x.dtype.kind == 'f'"):
        F.im2col(np.ones((1, 1, 3, 3), np.int32), 2)
    with pytest.raises(ValueError, match='im2col: ksize must be positive'):
        F.im2col(np.ones((1, 1, 3, 3), np.float32), 0)
    with pytest.raises(ValueError, match='im2col: pad must be non-negative'):
        F.im2col(np.ones((1, 1, 3, 3), np.float32), 2, pad=-1)
    with pytest.raises(ValueError, match='im2col: stride must be an int or a pair'):
        F.im2col(np.ones((1, 1, 3, 3), np.float32), 2, stride=(1, 1, 1))
