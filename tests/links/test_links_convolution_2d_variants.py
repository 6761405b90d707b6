import numpy as np
import pytest

import tracegrad.links as L


def _depthwise_ref(x, W, b, stride, pad):
    n, c, h, w = x.shape
    mult, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    y = np.zeros((n, c * mult, oh, ow), x.dtype)
    for ci in range(c):
        for m in range(mult):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[:, ci, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    y[:, ci * mult + m, i, j] = (patch * W[m, ci]).sum(axis=(1, 2))
    if b is not None:
        y += b[None, :, None, None]
    return y


def _dilated_ref(x, W, b, dilate):
    n, _, h, w = x.shape
    c_o, _, kh, kw = W.shape
    oh, ow = h - dilate * (kh - 1), w - dilate * (kw - 1)
    y = np.zeros((n, c_o, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i:i + dilate * (kh - 1) + 1:dilate, j:j + dilate * (kw - 1) + 1:dilate]
            y[:, :, i, j] = np.tensordot(patch, W, ((1, 2, 3), (1, 2, 3)))
    return y + b[None, :, None, None]


@pytest.mark.parametrize('stride, pad', [(1, 0), (2, 1)])
def test_depthwise_forward_and_backward(stride, pad, float64_params, check_link_backward):
    np.random.seed(0)
    link = L.DepthwiseConvolution2D(3, 2, 3, stride, pad)
    assert link.W.shape == (2, 3, 3, 3) and link.b.shape == (6,)
    link.b.array[...] = np.random.randn(6)
    x = np.random.randn(2, 3, 5, 6)
    np.testing.assert_allclose(link(x).array,
                               _depthwise_ref(x, link.W.array, link.b.array, stride, pad),
                               atol=1e-10)
    check_link_backward(link, x)


def test_depthwise_lazy_init_and_initializers():
    np.random.seed(0)
    link = L.DepthwiseConvolution2D(None, 3, (2, 1), nobias=True)
    assert link.W.array is None and link.b is None
    x = np.random.randn(1, 4, 5, 5).astype(np.float32)
    assert link(x).shape == (1, 12, 4, 5)
    assert link.W.shape == (3, 4, 2, 1) and link.W.dtype == np.float32
    np.random.seed(0)
    default = L.DepthwiseConvolution2D(4, 3, 2)
    np.random.seed(0)  # HeNormal(1/sqrt(2)): std = sqrt(2 / fan_in) / sqrt(2)
    expected = np.random.normal(0, np.sqrt(1 / 16), (3, 4, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(default.W.array, expected, rtol=1e-6)
    np.testing.assert_array_equal(default.b.array, np.zeros(12))
    with pytest.raises(ValueError, match='DepthwiseConvolution2D: the input must be 4-D'):
        L.DepthwiseConvolution2D(None, 2, 3)(np.zeros((1, 2, 5), np.float32))


def test_dilated_forward_backward_and_argument_forms(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.DilatedConvolution2D(2, 3, 2, dilate=2)
    assert link.W.shape == (3, 2, 2, 2)
    link.b.array[...] = np.random.randn(3)
    x = np.random.randn(2, 2, 6, 5)
    np.testing.assert_allclose(link(x).array, _dilated_ref(x, link.W.array, link.b.array, 2),
                               atol=1e-10)
    check_link_backward(link, x)
    x = np.random.randn(1, 3, 10, 10)
    for lazy in (L.DilatedConvolution2D(7, 5, stride=1, pad=0, dilate=2),
                 L.DilatedConvolution2D(None, 7, 5, 1, 0, 2)):
        assert lazy.W.array is None
        assert lazy(x).shape == (1, 7, 2, 2) and lazy.W.shape == (7, 3, 5, 5)
    assert L.DilatedConvolution2D(3, 4, 3, nobias=True).b is None


def _local_ref(x, W, b, stride):
    c_o, oh, ow, _, kh, kw = W.shape
    y = np.zeros((x.shape[0], c_o, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.tensordot(patch, W[:, i, j], ((1, 2, 3), (1, 2, 3)))
    return y if b is None else y + b[None]


@pytest.mark.parametrize('stride', [1, 2])
def test_local_convolution_forward_and_backward(stride, float64_params, check_link_backward):
    np.random.seed(0)
    link = L.LocalConvolution2D(3, 2, (5, 6), 3, stride)
    out = ((5 - 3) // stride + 1, (6 - 3) // stride + 1)
    assert link.W.shape == (2,) + out + (3, 3, 3) and link.b.shape == (2,) + out
    link.b.array[...] = np.random.randn(*link.b.shape)
    x = np.random.randn(2, 3, 5, 6)
    np.testing.assert_allclose(link(x).array, _local_ref(x, link.W.array, link.b.array, stride),
                               atol=1e-10)
    check_link_backward(link, x)


def test_local_convolution_lazy_and_errors():
    link = L.LocalConvolution2D(None, 4, ksize=(2, 1), nobias=True)
    assert link.W.array is None and link.b is None
    y = link(np.ones((1, 3, 4, 4), np.float32))
    assert y.shape == (1, 4, 3, 4) and link.W.shape == (4, 3, 4, 3, 2, 1)
    assert L.LocalConvolution2D(3, 4, None, 2).W.array is None  # in_size missing: lazy
    with pytest.raises(TypeError, match='LocalConvolution2D: ksize is required'):
        L.LocalConvolution2D(3, 4, (5, 5))
    with pytest.raises(ValueError, match='LocalConvolution2D: the input size'):
        L.LocalConvolution2D(3, 4, (2, 5), 3)
    with pytest.raises(ValueError, match='LocalConvolution2D: the input must be 4-D'):
        L.LocalConvolution2D(None, 4, ksize=2)(np.ones((1, 3, 4), np.float32))
