import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def unpooled_size(size, k, s, p, cover_all):
    return s * (size - 1) + k - 2 * p - (s - 1 if cover_all else 0)


def unpool_reference(x, k, s, p, outsize, cover_all, indexes=None):
    """Each input value added to its whole window (or, with ``indexes``, to one cell)."""
    n, c, h, w = x.shape
    if outsize is None:
        outsize = (unpooled_size(h, k[0], s[0], p[0], cover_all),
                   unpooled_size(w, k[1], s[1], p[1], cover_all))
    full = np.zeros((n, c, s[0] * h + k[0] + 2 * p[0] + outsize[0],
                     s[1] * w + k[1] + 2 * p[1] + outsize[1]), x.dtype)
    for i in range(h):
        for j in range(w):
            if indexes is None:
                full[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]] += \
                    x[:, :, i, j, None, None]
                continue
            for a in range(n):
                for b in range(c):
                    di, dj = divmod(int(indexes[a, b, i, j]), k[1])
                    full[a, b, i * s[0] + di, j * s[1] + dj] += x[a, b, i, j]
    return full[:, :, p[0]:p[0] + outsize[0], p[1]:p[1] + outsize[1]]


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}


_GRID = testing.product({
    'x_shape': [(2, 3, 3, 4), (1, 1, 2, 3)],
    'ksize': [(2, 3), (2, 2)],
    'stride': [None, (1, 2)],
    'pad': [(0, 0), (1, 1)],
    'cover_all': [True, False],
    'dtype': [np.float32, np.float64],
}) + [
    # pooling 6x5 gives 3x3 only with cover_all, 6x6 either way
    {'x_shape': (1, 2, 3, 3), 'ksize': (2, 2), 'stride': (2, 2), 'pad': (0, 0),
     'cover_all': cover_all, 'outsize': outsize, 'dtype': dtype}
    for cover_all, outsize in [(True, (6, 5)), (True, (6, 6)), (False, (6, 6))]
    for dtype in (np.float32, np.float64)]


@testing.parameterize(*_GRID)
class TestUnpooling2D(testing.FunctionTestCase):
    def setUp(self):
        self.s = self.ksize if self.stride is None else self.stride
        self.outsize = getattr(self, 'outsize', None)
        _tolerances(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.x_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.unpooling_2d(inputs[0], self.ksize, self.stride, self.pad, self.outsize,
                              self.cover_all),

    def forward_expected(self, inputs):
        return unpool_reference(inputs[0], self.ksize, self.s, self.pad, self.outsize,
                                self.cover_all),


@testing.parameterize(*_GRID)
class TestUpsampling2D(testing.FunctionTestCase):
    def setUp(self):
        self.s = self.ksize if self.stride is None else self.stride
        self.outsize = getattr(self, 'outsize', None)
        _tolerances(self)

    def generate_inputs(self):
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        indexes = np.random.randint(0, self.ksize[0] * self.ksize[1], self.x_shape)
        return x, indexes

    def forward(self, inputs, device):
        x, indexes = inputs
        return F.upsampling_2d(x, indexes, self.ksize, self.stride, self.pad, self.outsize,
                               self.cover_all),

    def forward_expected(self, inputs):
        x, indexes = inputs
        return unpool_reference(x, self.ksize, self.s, self.pad, self.outsize,
                                self.cover_all, indexes),


def test_upsampling_inverts_max_pooling_positions():
    rng = np.random.RandomState(0)
    x = rng.permutation(35).reshape(1, 1, 5, 7).astype(np.float32)
    y, idx = F.max_pooling_2d(x, 2, return_indices=True)
    up = F.upsampling_2d(y, idx, 2, outsize=(5, 7))
    # every pooled maximum is back at its place, everything else is zero
    kept = up.array != 0
    np.testing.assert_array_equal(up.array[kept], x[kept])
    assert kept.sum() == y.size - int((y.array == 0).sum())


def test_unpooling_default_size():
    x = np.ones((1, 1, 3, 3), np.float32)
    assert F.unpooling_2d(x, 2).shape == (1, 1, 5, 5)
    assert F.unpooling_2d(x, 2, cover_all=False).shape == (1, 1, 6, 6)


def test_unpooling_gradient_sums_windows():
    x = Variable(np.zeros((1, 1, 1, 2)))
    y = F.unpooling_2d(x, 2, cover_all=False)
    y.grad = np.arange(8.).reshape(1, 1, 2, 4)
    y.backward()
    np.testing.assert_array_equal(x.grad, [[[[0. + 1 + 4 + 5, 2. + 3 + 6 + 7]]]])


def test_unpooling_errors():
    with pytest.raises(InvalidType, match=r'Unpooling2D[\s\S]*x.shape\[2\] =='):
        F.unpooling_2d(np.ones((1, 1, 3, 3), np.float32), 2, outsize=(9, 6))
    with pytest.raises(InvalidType, match='x.ndim == 4'):
        F.unpooling_2d(np.ones((1, 3, 3), np.float32), 2)
    with pytest.raises(ValueError, match='unpooling_2d: outsize must be positive'):
        F.unpooling_2d(np.ones((1, 1, 3, 3), np.float32), 2, outsize=(0, 6))


def test_upsampling_errors():
    x = np.ones((1, 1, 3, 3), np.float32)
    with pytest.raises(InvalidType, match=r'Upsampling2D[\s\S]*indexes.shape == x.shape'):
        F.upsampling_2d(x, np.zeros((1, 1, 3, 2), np.int64), 2)
    with pytest.raises(InvalidType, match="indexes.dtype.kind == 'i'"):
        F.upsampling_2d(x, np.zeros((1, 1, 3, 3), np.float32), 2)
    with pytest.raises(InvalidType, match=r'x.shape\[3\] =='):
        F.upsampling_2d(x, np.zeros((1, 1, 3, 3), np.int64), 2, outsize=(6, 9))
