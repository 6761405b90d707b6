"""Inception, InceptionBN and MLPConvolution2D: structure, and outputs equal to the same
composition written out with plain functions."""
import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L


def _conv(link, x, **kwargs):
    return F.convolution_2d(x, link.W, link.b, link.stride, link.pad, **kwargs)


def test_inception_paths_and_output(float64_params, check_link_backward):
    np.random.seed(0)
    block = L.Inception(3, 2, 2, 3, 1, 2, 4)
    names = sorted(n for n, _ in block.namedparams())
    assert names == sorted(f'/{c}/{p}' for c in ('conv1', 'proj3', 'conv3', 'proj5', 'conv5',
                                                 'projp') for p in 'Wb')
    assert block.conv3.W.shape == (3, 2, 3, 3) and block.conv5.W.shape == (2, 1, 5, 5)
    for link in block.children():
        link.b.array[...] = np.random.randn(*link.b.shape)
    x = np.random.randn(2, 3, 5, 6)
    y = block(x)
    assert y.shape == (2, 2 + 3 + 2 + 4, 5, 6)
    expected = F.relu(F.concat((
        _conv(block.conv1, x),
        _conv(block.conv3, F.relu(_conv(block.proj3, x))),
        _conv(block.conv5, F.relu(_conv(block.proj5, x))),
        _conv(block.projp, F.max_pooling_2d(x, 3, stride=1, pad=1))), axis=1))
    np.testing.assert_allclose(y.array, expected.array, atol=1e-12)
    assert (y.array >= 0).all() and (y.array > 0).any()
    check_link_backward(block, x, atol=1e-4, rtol=1e-3)


def test_inception_lazy_and_initializers():
    block = L.Inception(None, 1, 1, 1, 1, 1, 1, conv_init=0.5, bias_init=0.25)
    x = np.ones((1, 2, 4, 4), np.float32)
    assert block(x).shape == (1, 4, 4, 4)
    assert block.conv1.W.shape == (1, 2, 1, 1) and (block.conv1.W.array == 0.5).all()
    assert (block.projp.b.array == 0.25).all()


@pytest.mark.parametrize('pooltype, stride, out1, proj_pool', [
    ('max', 1, 2, 3), ('avg', 1, 2, 3), ('max', 2, 0, None), ('avg', 2, 0, 2)])
def test_inception_bn(pooltype, stride, out1, proj_pool):
    np.random.seed(0)
    block = L.InceptionBN(3, out1, 2, 3, 2, 4, pooltype, proj_pool, stride)
    assert all(link.b is None for link in block.children() if isinstance(link, L.Convolution2D))
    assert hasattr(block, 'conv1') == (out1 > 0) and hasattr(block, 'poolp') == bool(proj_pool)
    x = np.random.randn(2, 3, 5, 6).astype(np.float32)
    y = block(x)
    size = (5, 6) if stride == 1 else (3, 3)
    assert y.shape == (2, out1 + 3 + 4 + (proj_pool or 3)) + size
    with tracegrad.using_config('train', False):  # statistics now hold one batch
        assert block(x).shape == y.shape
    # the pooling path without projection is the pooled input itself
    if proj_pool is None:
        pool = F.max_pooling_2d(x, 3, stride=stride, pad=1, cover_all=False)
        np.testing.assert_array_equal(y.array[:, -3:], pool.array)
    bn = block.proj3n
    assert bn.avg_mean.shape == (2,) and bn.N == 0


def test_inception_bn_errors_and_dtype():
    with pytest.raises(NotImplementedError, match="InceptionBN: pooltype must be 'max' or"):
        L.InceptionBN(3, 1, 1, 1, 1, 1, 'min', 1)
    with pytest.raises(ValueError, match='InceptionBN: a 1x1 path'):
        L.InceptionBN(3, 1, 1, 1, 1, 1, 'max', 1, stride=2)
    with pytest.raises(ValueError, match='InceptionBN: a 1x1 path'):
        L.InceptionBN(3, 1, 1, 1, 1, 1, 'max')
    block = L.InceptionBN(3, 0, 1, 1, 1, 1, 'avg', dtype=np.float64)
    assert block.conv3n.gamma.dtype == np.float64


def test_mlp_convolution(float64_params, check_link_backward):
    np.random.seed(0)
    mlp = L.MLPConvolution2D(3, (4, 5, 2), 3, stride=2, pad=1)
    assert len(mlp) == 3 and mlp[0].W.shape == (4, 3, 3, 3)
    assert mlp[1].W.shape == (5, 4, 1, 1) and mlp[2].W.shape == (2, 5, 1, 1)
    for link in mlp:
        link.b.array[...] = np.random.randn(*link.b.shape)
    x = np.random.randn(2, 3, 6, 5)
    h = F.relu(_conv(mlp[0], x))
    h = F.relu(_conv(mlp[1], h))
    expected = _conv(mlp[2], h)  # no activation after the last convolution
    y = mlp(x)
    assert y.shape == (2, 2, 3, 3) and (y.array < 0).any()
    np.testing.assert_allclose(y.array, expected.array, atol=1e-12)
    check_link_backward(mlp, x, atol=1e-4, rtol=1e-3)


def test_mlp_convolution_forms_and_errors():
    x = np.ones((1, 2, 4, 4), np.float32)
    lazy = L.MLPConvolution2D((3, 1), 2, activation=F.sigmoid, conv_init=1.0, bias_init=0.0)
    y = lazy(x)
    assert y.shape == (1, 1, 3, 3) and lazy[0].W.shape == (3, 2, 2, 2)
    np.testing.assert_allclose(y.array, np.full((1, 1, 3, 3), 3 * (1 / (1 + np.exp(-8)))),
                               rtol=1e-6)
    assert L.MLPConvolution2D(None, (3,), 1)(x).shape == (1, 3, 4, 4)
    with pytest.raises(TypeError, match='wscale is not supported'):
        L.MLPConvolution2D(2, (3,), 1, 0, 0, F.relu, 1.0)
    with pytest.raises(TypeError, match='wscale is not supported'):
        L.MLPConvolution2D(2, (3,), 1, wscale=1.0)
    with pytest.raises(ValueError, match='MLPConvolution2D: out_channels must name'):
        L.MLPConvolution2D(2, (), 1)
