"""convolution_nd / _1d / _3d and deconvolution_nd / _1d / _3d against direct loops."""
import itertools

import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
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
    """Loops over every output position: the dot product of each group's filters
    with the (dilated) input window there, zero outside the input."""
    n, c, *size = x.shape
    c_o, c_g, *ksize = W.shape
    nd = len(size)
    extent = [d * (k - 1) + 1 for k, d in zip(ksize, dilate)]
    out = [(s_ + 2 * p - e + (st - 1 if cover_all else 0)) // st + 1
           for s_, p, e, st in zip(size, pad, extent, stride)]
    padded = np.zeros((n, c) + tuple(s_ + 2 * p + st for s_, p, st in zip(size, pad, stride)),
                      x.dtype)
    padded[(slice(None), slice(None)) + tuple(slice(p, p + s_) for p, s_ in zip(pad, size))] = x
    y = np.zeros((n, c_o) + tuple(out), x.dtype)
    o_g = c_o // groups
    for pos in itertools.product(*(range(o) for o in out)):
        window = padded[(slice(None), slice(None)) + tuple(
            slice(i * st, i * st + e, d) for i, st, e, d in zip(pos, stride, extent, dilate))]
        for g in range(groups):
            y[(slice(None), slice(g * o_g, (g + 1) * o_g)) + pos] = np.tensordot(
                window[:, g * c_g:(g + 1) * c_g], W[g * o_g:(g + 1) * o_g],
                (tuple(range(1, nd + 2)), tuple(range(1, nd + 2))))
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y


def deconv_reference(x, W, b, stride, pad, dilate, groups, outsize):
    """Loops over every input position: each adds its weighted kernel into the
    (uncropped) output, then the padding is cropped."""
    n, c, *size = x.shape
    _, o_g, *ksize = W.shape
    nd = len(size)
    extent = [d * (k - 1) + 1 for k, d in zip(ksize, dilate)]
    if outsize is None:
        outsize = [st * (s_ - 1) + e - 2 * p for st, s_, e, p in zip(stride, size, extent, pad)]
    full = np.zeros((n, o_g * groups) + tuple(
        max(st * (s_ - 1) + e, o + 2 * p)
        for st, s_, e, o, p in zip(stride, size, extent, outsize, pad)), x.dtype)
    c_g = c // groups
    for pos in itertools.product(*(range(s_) for s_ in size)):
        target = tuple(slice(i * st, i * st + e, d)
                       for i, st, e, d in zip(pos, stride, extent, dilate))
        for g in range(groups):
            full[(slice(None), slice(g * o_g, (g + 1) * o_g)) + target] += np.tensordot(
                x[(slice(None), slice(g * c_g, (g + 1) * c_g)) + pos],
                W[g * c_g:(g + 1) * c_g], (1, 0))
    y = full[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pad, outsize))]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


_CONV_CASES = (testing.product({
    'x_shape': [(2, 2, 7)],
    'k': [(3,)],
    'stride': [(1,), (2,)],
    'pad': [(0,), (2,)],
    'dilate': [(1,), (2,)],
    'groups': [1, 2],
    'cover_all': [False, True],
    'nobias': [False],
    'dtype': [np.float64],
}) + testing.product({
    'x_shape': [(1, 3, 5, 4, 3)],
    'k': [(2, 3, 1), (3, 3, 3)],
    'stride': [(2, 1, 2)],
    'pad': [(1, 0, 1)],
    'dilate': [(1, 1, 1)],
    'groups': [1, 3],
    'cover_all': [False, True],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
}) + testing.product({
    'x_shape': [(1, 2, 5, 3, 4)],
    'k': [(2, 2, 2)],
    'stride': [(1, 2, 1)],
    'pad': [(0, 1, 0)],
    'dilate': [(2, 1, 1)],
    'groups': [1],
    'cover_all': [False],
    'nobias': [False],
    'dtype': [np.float64],
}) + testing.product({
    'x_shape': [(2, 2, 5, 3)],  # the 2-D case through convolution_nd
    'k': [(3, 2)],
    'stride': [(2, 1)],
    'pad': [(1, 1)],
    'dilate': [(1, 2)],
    'groups': [2],
    'cover_all': [True],
    'nobias': [False],
    'dtype': [np.float32],
}))


@testing.parameterize(*_CONV_CASES)
class TestConvolutionND(testing.FunctionTestCase):
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
        func = {3: F.convolution_1d, 5: F.convolution_3d}.get(len(self.x_shape),
                                                              F.convolution_nd)
        return func(*inputs, stride=self.stride, pad=self.pad, cover_all=self.cover_all,
                    dilate=self.dilate, groups=self.groups),

    def forward_expected(self, inputs):
        b = inputs[2] if len(inputs) == 3 else None
        return conv_reference(inputs[0], inputs[1], b, self.stride, self.pad, self.dilate,
                              self.groups, self.cover_all),


_DECONV_CASES = (testing.product({
    'x_shape': [(2, 2, 4)],
    'k': [(3,)],
    'stride': [(1,), (3,)],
    'pad': [(0,), (1,)],
    'dilate': [(1,), (2,)],
    'groups': [1, 2],
    'outsize': [None],
    'nobias': [False],
    'dtype': [np.float64],
}) + testing.product({
    'x_shape': [(1, 3, 3, 2, 3)],
    'k': [(3, 2, 1)],
    'stride': [(2, 1, 2)],
    'pad': [(1, 0, 0)],
    'dilate': [(1, 1, 1)],
    'groups': [1, 3],
    # (6, 3, 6) needs the extra cells that only cover_all pooling reaches
    'outsize': [None, (6, 3, 6)],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
}) + testing.product({
    'x_shape': [(1, 2, 2, 3, 2)],
    'k': [(2, 2, 2)],
    'stride': [(1, 2, 1)],
    'pad': [(0, 1, 0)],
    'dilate': [(2, 1, 1)],
    'groups': [1],
    'outsize': [None],
    'nobias': [False],
    'dtype': [np.float64],
}))


@testing.parameterize(*_DECONV_CASES)
class TestDeconvolutionND(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        c = self.x_shape[1]
        o_g = 2
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (c, o_g) + self.k).astype(self.dtype)
        if self.nobias:
            return x, W
        return x, W, np.random.uniform(-1, 1, (o_g * self.groups,)).astype(self.dtype)

    def forward(self, inputs, device):
        func = {3: F.deconvolution_1d, 5: F.deconvolution_3d}[len(self.x_shape)]
        return func(*inputs, stride=self.stride, pad=self.pad, outsize=self.outsize,
                    dilate=self.dilate, groups=self.groups),

    def forward_expected(self, inputs):
        b = inputs[2] if len(inputs) == 3 else None
        return deconv_reference(inputs[0], inputs[1], b, self.stride, self.pad, self.dilate,
                                self.groups, self.outsize),


def test_nd_equals_2d_and_int_arguments():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 2, 6, 5)
    W = rng.randn(3, 2, 3, 2)
    np.testing.assert_array_equal(
        F.convolution_nd(x, W, stride=2, pad=1, cover_all=True).array,
        F.convolution_2d(x, W, stride=2, pad=1, cover_all=True).array)
    np.testing.assert_allclose(
        F.convolution_nd(x, W, stride=2, pad=1).array,
        conv_reference(x, W, None, (2, 2), (1, 1), (1, 1), 1, False))
    Wd = rng.randn(2, 3, 3, 2)
    np.testing.assert_array_equal(F.deconvolution_nd(x, Wd, stride=2, pad=1).array,
                                  F.deconvolution_2d(x, Wd, stride=2, pad=1).array)


def test_deconvolution_nd_is_convolution_nd_transpose():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 5, 4, 3)
    W = rng.randn(4, 3, 3, 2, 2)
    y = F.convolution_3d(x, W, stride=2, pad=1, cover_all=True)
    gy = rng.randn(*y.shape)
    z = F.deconvolution_3d(gy, W, stride=2, pad=1, outsize=(5, 4, 3))
    np.testing.assert_allclose((y.array * gy).sum(), (x * z.array).sum())


def test_convolution_nd_output_shapes():
    x = np.zeros((1, 1, 5), np.float32)
    W = np.zeros((2, 1, 2), np.float32)
    assert F.convolution_1d(x, W, stride=2).shape == (1, 2, 2)
    assert F.convolution_1d(x, W, stride=2, cover_all=True).shape == (1, 2, 3)
    x = np.zeros((1, 1, 4, 5, 6), np.float32)
    W = np.zeros((1, 1, 1, 2, 3), np.float32)
    assert F.convolution_3d(x, W).shape == (1, 1, 4, 4, 4)
    assert F.deconvolution_3d(x, W, stride=(1, 2, 3)).shape == (1, 1, 4, 10, 18)


@pytest.mark.parametrize('func, x_shape, w_shape, b_shape, kwargs, match', [
    (F.convolution_1d, (2, 3, 5), (4, 2, 3), None, {},
     r'ConvolutionND[\s\S]*x.shape\[1\] == W.shape\[1\] \* 1'),
    (F.convolution_3d, (2, 4, 5, 5, 5), (3, 2, 3, 3, 3), None, {'groups': 2},
     r'W.shape\[0\] % 2 == 0'),
    (F.convolution_nd, (2, 3, 5, 5, 5), (4, 3, 3, 3), None, {}, 'W.ndim == 5'),
    (F.convolution_1d, (2, 3, 5), (4, 3, 3), (3,), {}, r'b.shape\[0\] == W.shape\[0\]'),
    (F.deconvolution_1d, (2, 3, 5), (4, 2, 3), None, {},
     r'DeconvolutionND[\s\S]*x.shape\[1\] == W.shape\[0\]'),
    (F.deconvolution_3d, (1, 2, 3, 3, 3), (2, 1, 2, 2, 2), None, {'outsize': (9, 4, 4)},
     r'x.shape\[2\]'),
    (F.deconvolution_nd, (1, 2, 3, 3), (2, 1, 2, 2, 2), None, {}, 'W.ndim == 4'),
])
def test_nd_type_errors(func, x_shape, w_shape, b_shape, kwargs, match):
    args = [np.ones(x_shape, np.float32), np.ones(w_shape, np.float32)]
    if b_shape is not None:
        args.append(np.ones(b_shape, np.float32))
    with pytest.raises(InvalidType, match=match):
        func(*args, **kwargs)


def test_nd_dtype_errors():
    with pytest.raises(InvalidType, match='W.dtype == x.dtype'):
        F.convolution_1d(np.ones((1, 1, 3), np.float32), np.ones((1, 1, 2), np.float64))
    with pytest.raises(InvalidType, match="x.dtype.kind == 'f'"):
        F.deconvolution_1d(np.ones((1, 1, 3), np.int32), np.ones((1, 1, 2), np.int32))


@pytest.mark.parametrize('func, x_shape, kwargs, error, match', [
    (F.convolution_1d, (1, 1, 3, 3), {}, ValueError,
     'convolution_1d: x must have 1 spatial axes'),
    (F.convolution_3d, (1, 1, 3), {}, ValueError, 'convolution_3d: x must have 3 spatial'),
    (F.deconvolution_1d, (1, 1, 3, 3), {}, ValueError, 'deconvolution_1d: x must have 1'),
    (F.deconvolution_3d, (1, 1, 3), {}, ValueError, 'deconvolution_3d: x must have 3'),
    (F.convolution_nd, (1, 1), {}, ValueError, 'convolution_nd: x must have shape'),
    (F.convolution_nd, (1, 1, 3), {'stride': 0}, ValueError,
     'convolution_nd: stride must be positive'),
    (F.convolution_1d, (1, 1, 3), {'pad': -1}, ValueError,
     'convolution_1d: pad must be non-negative'),
    (F.convolution_3d, (1, 1, 3, 3, 3), {'dilate': (1, 1)}, ValueError,
     'convolution_3d: dilate must be an int or a tuple of 3 ints'),
    (F.convolution_1d, (1, 1, 3), {'groups': 0}, ValueError,
     'convolution_1d: groups must be positive'),
    (F.convolution_1d, (1, 1, 3), {'pad': 1.5}, TypeError, 'convolution_1d: pad must be an int'),
    (F.deconvolution_1d, (1, 1, 3), {'outsize': (0,)}, ValueError,
     'deconvolution_1d: outsize must be positive'),
    (F.deconvolution_3d, (1, 1, 3, 3, 3), {'stride': (1, 0, 1)}, ValueError,
     'deconvolution_3d: stride must be positive'),
])
def test_nd_bad_arguments(func, x_shape, kwargs, error, match):
    W = np.ones((1, 1) + (2,) * max(len(x_shape) - 2, 1), np.float32)
    with pytest.raises(error, match=match):
        func(np.ones(x_shape, np.float32), W, **kwargs)


def test_nd_output_too_small():
    with pytest.raises(RuntimeError, match='convolution_3d: axis 3 in the output'):
        F.convolution_3d(np.ones((1, 1, 3, 2, 3), np.float32),
                         np.ones((1, 1, 3, 3, 3), np.float32))
    with pytest.raises(RuntimeError, match='deconvolution_1d: axis 2 in the output'):
        F.deconvolution_1d(np.ones((1, 1, 1), np.float32), np.ones((1, 1, 1), np.float32),
                           pad=1)
