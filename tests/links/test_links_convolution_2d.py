import numpy as np
import pytest

import tracegrad.links as L


def _conv_ref(x, W, b, stride, pad, dilate, groups):
    """Direct loops over output positions (cross-correlation, as Chainer)."""
    n, _, h, w = x.shape
    out_c, c_g, kh, kw = W.shape
    sy, sx = stride
    ph, pw = pad
    dy, dx = dilate
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dy * (kh - 1) - 1) // sy + 1
    ow = (w + 2 * pw - dx * (kw - 1) - 1) // sx + 1
    y = np.zeros((n, out_c, oh, ow), x.dtype)
    out_g = out_c // groups
    for o in range(out_c):
        g = o // out_g
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * c_g:(g + 1) * c_g,
                           i * sy:i * sy + dy * (kh - 1) + 1:dy,
                           j * sx:j * sx + dx * (kw - 1) + 1:dx]
                y[:, o, i, j] = (patch * W[o]).sum(axis=(1, 2, 3))
    if b is not None:
        y += b[None, :, None, None]
    return y


def _deconv_ref(x, W, b, stride, pad, outsize, dilate, groups):
    """Scatter each input pixel times the kernel into the (padded) output."""
    n, c, h, w = x.shape
    _, out_g, kh, kw = W.shape
    sy, sx = stride
    ph, pw = pad
    dy, dx = dilate
    full_h = sy * (h - 1) + dy * (kh - 1) + 1
    full_w = sx * (w - 1) + dx * (kw - 1) + 1
    oh, ow = outsize if outsize is not None else (full_h - 2 * ph, full_w - 2 * pw)
    full = np.zeros((n, out_g * groups, max(full_h, oh + 2 * ph), max(full_w, ow + 2 * pw)),
                    x.dtype)
    c_g = c // groups
    for ci in range(c):
        g = ci // c_g
        for i in range(h):
            for j in range(w):
                full[:, g * out_g:(g + 1) * out_g,
                     i * sy:i * sy + dy * (kh - 1) + 1:dy,
                     j * sx:j * sx + dx * (kw - 1) + 1:dx] += \
                    x[:, ci, i, j][:, None, None, None] * W[ci][None]
    y = full[:, :, ph:ph + oh, pw:pw + ow]
    if b is not None:
        y = y + b[None, :, None, None]
    return y


CASES = [
    {'stride': 1, 'pad': 0, 'dilate': 1, 'groups': 1},
    {'stride': 2, 'pad': 1, 'dilate': 1, 'groups': 1},
    {'stride': (1, 2), 'pad': (2, 1), 'dilate': 2, 'groups': 1},
    {'stride': 1, 'pad': 1, 'dilate': 1, 'groups': 3},
]


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize('case', CASES)
def test_convolution_forward_and_backward(case, float64_params, check_link_backward):
    np.random.seed(0)
    link = L.Convolution2D(3, 6, 3, case['stride'], case['pad'], dilate=case['dilate'],
                           groups=case['groups'])
    assert link.W.shape == (6, 3 // case['groups'], 3, 3)
    link.b.array[...] = np.random.randn(6)
    x = np.random.randn(2, 3, 7, 5)
    expected = _conv_ref(x, link.W.array, link.b.array, _pair(case['stride']),
                         _pair(case['pad']), _pair(case['dilate']), case['groups'])
    np.testing.assert_allclose(link(x).array, expected, atol=1e-10)
    check_link_backward(link, x)


@pytest.mark.parametrize('case', CASES)
def test_deconvolution_forward_and_backward(case, float64_params, check_link_backward):
    np.random.seed(0)
    link = L.Deconvolution2D(3, 6, 3, case['stride'], case['pad'], dilate=case['dilate'],
                             groups=case['groups'])
    assert link.W.shape == (3, 6 // case['groups'], 3, 3)
    link.b.array[...] = np.random.randn(6)
    x = np.random.randn(2, 3, 4, 5)
    expected = _deconv_ref(x, link.W.array, link.b.array, _pair(case['stride']),
                           _pair(case['pad']), None, _pair(case['dilate']), case['groups'])
    np.testing.assert_allclose(link(x).array, expected, atol=1e-10)
    check_link_backward(link, x)


def test_deconvolution_outsize(float64_params):
    link = L.Deconvolution2D(2, 3, 3, stride=2, pad=1, outsize=(8, 10), nobias=True)
    x = np.random.randn(1, 2, 4, 5)
    y = link(x)
    assert y.shape == (1, 3, 8, 10)
    np.testing.assert_allclose(
        y.array, _deconv_ref(x, link.W.array, None, (2, 2), (1, 1), (8, 10), (1, 1), 1),
        atol=1e-10)


def test_argument_forms_and_lazy_init():
    x = np.random.randn(2, 4, 6, 6).astype(np.float32)
    for link in (L.Convolution2D(5, 3), L.Convolution2D(None, 5, 3),
                 L.Convolution2D(5, 3, stride=1, pad=0)):
        assert link.W.array is None and link.in_channels is None
        assert link(x).shape == (2, 5, 4, 4)
        assert link.W.shape == (5, 4, 3, 3)
    de = L.Deconvolution2D(5, 3)
    assert de(x).shape == (2, 5, 8, 8) and de.W.shape == (4, 5, 3, 3)
    rect = L.Convolution2D(4, 2, (1, 3), nobias=True)
    assert rect.b is None and rect.W.shape == (2, 4, 1, 3)
    assert rect(x).shape == (2, 2, 6, 4)


def test_default_initialization_is_lecun_normal_with_zero_bias():
    np.random.seed(0)
    link = L.Convolution2D(3, 2, 2)
    np.random.seed(0)
    expected = np.random.normal(0, np.sqrt(1 / 12), (2, 3, 2, 2)).astype(np.float32)
    np.testing.assert_array_equal(link.W.array, expected)
    np.testing.assert_array_equal(link.b.array, [0, 0])


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match='divisible'):
        L.Convolution2D(4, 6, 3, groups=3)
    link = L.Convolution2D(None, 6, 3, groups=3)
    with pytest.raises(ValueError, match='divisible'):
        link(np.zeros((1, 4, 5, 5), np.float32))


def test_printable_specs():
    assert str(L.Convolution2D(3, 7, 5)) == (
        'Convolution2D(in_channels=3, out_channels=7, ksize=5, stride=(1, 1), pad=(0, 0), '
        'nobias=False, dilate=(1, 1), groups=1)')
