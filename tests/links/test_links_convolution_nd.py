import itertools

import numpy as np
import pytest

import tracegrad.links as L


def _conv_ref(x, W, b, stride, pad, dilate, groups):
    """Loops over output positions (cross-correlation, as Chainer)."""
    n, _, *size = x.shape
    out_c, c_g, *ksize = W.shape
    nd = len(size)
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    ext = [d * (k - 1) + 1 for k, d in zip(ksize, dilate)]
    out = [(s + 2 * p - e) // st + 1 for s, p, e, st in zip(size, pad, ext, stride)]
    y = np.zeros((n, out_c) + tuple(out), x.dtype)
    out_g = out_c // groups
    for o in range(out_c):
        g = o // out_g
        for pos in itertools.product(*(range(v) for v in out)):
            patch = xp[(slice(None), slice(g * c_g, (g + 1) * c_g)) + tuple(
                slice(i * st, i * st + e, d) for i, st, e, d in zip(pos, stride, ext, dilate))]
            y[(slice(None), o) + pos] = (patch * W[o]).sum(axis=tuple(range(1, nd + 2)))
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y


def _deconv_ref(x, W, b, stride, pad, outsize, dilate, groups):
    """Scatter each input cell times the kernel into the (padded) output."""
    n, c, *size = x.shape
    _, out_g, *ksize = W.shape
    nd = len(size)
    ext = [d * (k - 1) + 1 for k, d in zip(ksize, dilate)]
    full = [st * (s - 1) + e for st, s, e in zip(stride, size, ext)]
    outsize = outsize or [f - 2 * p for f, p in zip(full, pad)]
    buf = np.zeros((n, out_g * groups) + tuple(
        max(f, o + 2 * p) for f, o, p in zip(full, outsize, pad)), x.dtype)
    c_g = c // groups
    for ci in range(c):
        g = ci // c_g
        for pos in itertools.product(*(range(s) for s in size)):
            target = (slice(None), slice(g * out_g, (g + 1) * out_g)) + tuple(
                slice(i * st, i * st + e, d) for i, st, e, d in zip(pos, stride, ext, dilate))
            buf[target] += x[(slice(None), ci) + pos].reshape((-1,) + (1,) * (nd + 1)) * W[ci]
    y = buf[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pad, outsize))]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


def _tuple(v, nd):
    return v if isinstance(v, tuple) else (v,) * nd


CASES = [
    (1, {'stride': 1, 'pad': 0, 'dilate': 1, 'groups': 1}),
    (1, {'stride': 2, 'pad': 1, 'dilate': 2, 'groups': 3}),
    (3, {'stride': 1, 'pad': 0, 'dilate': 1, 'groups': 1}),
    (3, {'stride': (1, 2, 1), 'pad': (1, 0, 1), 'dilate': (1, 1, 2), 'groups': 3}),
]


@pytest.mark.parametrize('nd, case', CASES)
def test_convolution_nd_forward_and_backward(nd, case, float64_params, check_link_backward):
    np.random.seed(0)
    cls = {1: L.Convolution1D, 3: L.Convolution3D}[nd]
    for link in (cls(3, 6, 3, case['stride'], case['pad'], dilate=case['dilate'],
                     groups=case['groups']),
                 L.ConvolutionND(nd, 3, 6, 3, case['stride'], case['pad'],
                                 dilate=case['dilate'], groups=case['groups'])):
        assert link.W.shape == (6, 3 // case['groups']) + (3,) * nd
        link.b.array[...] = np.random.randn(6)
        x = np.random.randn(*((2, 3, 7) if nd == 1 else (1, 3, 5, 6, 5)))
        expected = _conv_ref(x, link.W.array, link.b.array, _tuple(case['stride'], nd),
                             _tuple(case['pad'], nd), _tuple(case['dilate'], nd),
                             case['groups'])
        np.testing.assert_allclose(link(x).array, expected, atol=1e-10)
    check_link_backward(link, x)


@pytest.mark.parametrize('nd, case', CASES)
def test_deconvolution_nd_forward_and_backward(nd, case, float64_params, check_link_backward):
    np.random.seed(0)
    cls = {1: L.Deconvolution1D, 3: L.Deconvolution3D}[nd]
    for link in (cls(3, 6, 2, case['stride'], case['pad'], dilate=case['dilate'],
                     groups=case['groups']),
                 L.DeconvolutionND(nd, 3, 6, 2, case['stride'], case['pad'],
                                   dilate=case['dilate'], groups=case['groups'])):
        assert link.W.shape == (3, 6 // case['groups']) + (2,) * nd
        link.b.array[...] = np.random.randn(6)
        x = np.random.randn(*((2, 3, 5) if nd == 1 else (1, 3, 3, 2, 3)))
        expected = _deconv_ref(x, link.W.array, link.b.array, _tuple(case['stride'], nd),
                               _tuple(case['pad'], nd), None, _tuple(case['dilate'], nd),
                               case['groups'])
        np.testing.assert_allclose(link(x).array, expected, atol=1e-10)
    check_link_backward(link, x)


def test_cover_all_and_outsize(float64_params):
    x = np.random.randn(1, 2, 5)
    conv = L.Convolution1D(2, 3, 2, stride=2, cover_all=True)
    assert conv(x).shape == (1, 3, 3)
    assert L.Convolution1D(2, 3, 2, stride=2)(x).shape == (1, 3, 2)
    de = L.Deconvolution3D(2, 3, 3, stride=2, pad=1, outsize=(6, 5, 6), nobias=True)
    x3 = np.random.randn(1, 2, 3, 3, 3)
    y = de(x3)
    assert de.b is None and y.shape == (1, 3, 6, 5, 6)
    np.testing.assert_allclose(
        y.array, _deconv_ref(x3, de.W.array, None, (2,) * 3, (1,) * 3, (6, 5, 6), (1,) * 3, 1),
        atol=1e-10)


def test_argument_forms_and_lazy_init():
    x = np.random.randn(2, 4, 6, 5, 4).astype(np.float32)
    for link in (L.ConvolutionND(3, 5, 3), L.ConvolutionND(3, None, 5, 3),
                 L.ConvolutionND(3, 5, 3, stride=1, pad=0), L.Convolution3D(None, 5, 3)):
        assert link.W.array is None and link.in_channels is None
        assert link(x).shape == (2, 5, 4, 3, 2)
        assert link.W.shape == (5, 4, 3, 3, 3) and link.W.dtype == np.float32
    for link in (L.DeconvolutionND(3, 5, 2), L.Deconvolution3D(None, 5, 2)):
        assert link(x).shape == (2, 5, 7, 6, 5) and link.W.shape == (4, 5, 2, 2, 2)
    x1 = np.random.randn(1, 4, 7).astype(np.float32)
    rect = L.Convolution1D(None, 2, (3,), nobias=True)
    assert rect.b is None and rect(x1).shape == (1, 2, 5) and rect.W.shape == (2, 4, 3)
    assert L.Deconvolution1D(None, 2, 3, stride=2)(x1).shape == (1, 2, 15)
    box = L.ConvolutionND(3, 4, 2, (1, 2, 3))
    assert box.W.shape == (2, 4, 1, 2, 3) and box.b.shape == (2,)


def test_default_initialization_is_lecun_normal_with_zero_bias():
    np.random.seed(0)
    link = L.Convolution1D(3, 2, 2)
    np.random.seed(0)
    expected = np.random.normal(0, np.sqrt(1 / 6), (2, 3, 2)).astype(np.float32)
    np.testing.assert_array_equal(link.W.array, expected)
    np.testing.assert_array_equal(link.b.array, [0, 0])
    link = L.Deconvolution3D(3, 4, 2, initialW=2.0, initial_bias=1.5)
    np.testing.assert_array_equal(link.W.array, np.full((3, 4, 2, 2, 2), 2, np.float32))
    np.testing.assert_array_equal(link.b.array, np.full(4, 1.5, np.float32))


def test_errors():
    with pytest.raises(ValueError, match='divisible'):
        L.Convolution3D(4, 6, 3, groups=3)
    link = L.ConvolutionND(1, None, 6, 3, groups=3)
    with pytest.raises(ValueError, match='divisible'):
        link(np.zeros((1, 4, 5), np.float32))
    with pytest.raises(ValueError, match='Convolution3D: the input must be 5-D'):
        L.Convolution3D(None, 2, 3)(np.zeros((1, 4, 5, 5), np.float32))
    with pytest.raises(ValueError, match='DeconvolutionND: the input must be 3-D'):
        L.DeconvolutionND(1, None, 2, 3)(np.zeros((1, 4, 5, 5), np.float32))
    with pytest.raises(ValueError, match='Convolution1D: stride must be an int or a tuple'):
        L.Convolution1D(2, 2, 3, stride=(1, 1))
    with pytest.raises(TypeError, match='out_channels and ksize are required'):
        L.ConvolutionND(2, 3, None)


@pytest.mark.parametrize('make', [
    lambda: L.Convolution2D(4, 6, 3, groups=0),
    lambda: L.DeconvolutionND(1, 4, 6, 3, groups=-2),
    lambda: L.Convolution1D(None, 6, 3, groups=0),
])
def test_groups_must_be_positive(make):
    # a clear error naming the link, not a ZeroDivisionError or a negative shape
    with pytest.raises(ValueError, match=r'(Convolution2D|DeconvolutionND|Convolution1D): '
                                         'groups must be positive'):
        make()
