import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import initializers
from tracegrad.utils.type_check import InvalidType


def test_parameters_and_their_defaults():
    link = L.DeformableConvolution2D(3, 4, (3, 2), stride=2, pad=1)
    assert sorted(name for name, _ in link.namedparams()) == [
        '/deform_conv/W', '/deform_conv/b', '/offset_conv/W', '/offset_conv/b']
    assert link.offset_conv.W.shape == (2 * 3 * 2, 3, 3, 2)
    assert link.offset_conv.stride == (2, 2) and link.offset_conv.pad == (1, 1)
    assert link.deform_conv.W.shape == (4, 3, 3, 2) and link.deform_conv.b.shape == (4,)
    assert (link.deform_conv.W.array == 0).all()  # Chainer's default for the deform filters
    assert (link.deform_conv.b.array == 0).all() and (link.offset_conv.b.array == 0).all()
    assert link.offset_conv.W.array.std() > 0  # LeCunNormal, as Convolution2D


def test_options():
    link = L.DeformableConvolution2D(
        2, 3, 2, offset_nobias=True, offset_initialW=initializers.Constant(0.5),
        deform_nobias=True, deform_initialW=initializers.One())
    assert link.offset_conv.b is None and link.deform_conv.b is None
    assert (link.offset_conv.W.array == 0.5).all() and (link.deform_conv.W.array == 1).all()
    link = L.DeformableConvolution2D(2, 3, 2, offset_initial_bias=initializers.Constant(2.),
                                     deform_initial_bias=initializers.Constant(3.))
    assert (link.offset_conv.b.array == 2).all() and (link.deform_conv.b.array == 3).all()


@pytest.mark.parametrize('x_shape,ksize,stride,pad', [
    ((2, 3, 6, 5), 3, 1, 1),
    ((1, 2, 7, 4), (2, 3), (2, 1), (0, 2)),
    ((3, 1, 3, 3), 1, 1, 0),
])
def test_forward_is_the_sampler_with_predicted_offsets(x_shape, ksize, stride, pad):
    rng = np.random.RandomState(0)
    link = L.DeformableConvolution2D(x_shape[1], 4, ksize, stride, pad,
                                     deform_initialW=initializers.Normal(1.))
    link.offset_conv.W.array[...] *= 3  # offsets of a pixel or so
    x = rng.randn(*x_shape).astype(np.float32)
    y = link(x)
    offset = F.convolution_2d(x, link.offset_conv.W, link.offset_conv.b, stride, pad)
    expected = F.deformable_convolution_2d_sampler(x, offset, link.deform_conv.W,
                                                   link.deform_conv.b, stride, pad)
    assert y.shape == expected.shape and y.dtype == np.float32
    np.testing.assert_array_equal(y.array, expected.array)
    conv = F.convolution_2d(x, link.deform_conv.W, link.deform_conv.b, stride, pad)
    assert conv.shape == y.shape
    assert not np.allclose(conv.array, y.array, atol=1e-3)  # the offsets matter


def test_lazy_in_channels():
    link = L.DeformableConvolution2D(None, 4, 3)
    assert link.offset_conv.W.array is None and link.deform_conv.W.array is None
    y = link(np.ones((1, 5, 4, 4), np.float32))
    assert y.shape == (1, 4, 2, 2)
    assert link.offset_conv.W.shape == (18, 5, 3, 3) and link.deform_conv.W.shape == (4, 5, 3, 3)


def test_gradients(float64_params, check_link_backward):
    link = L.DeformableConvolution2D(2, 3, 2, pad=1, deform_initialW=initializers.Normal(1.),
                                     offset_initialW=initializers.Normal(0.3))
    x = np.random.RandomState(1).uniform(-1, 1, (2, 2, 4, 3))
    check_link_backward(link, x)


def test_training_reduces_the_loss():
    np.random.seed(0)
    link = L.DeformableConvolution2D(2, 2, 3, pad=1)
    opt = tracegrad.optimizers.Adam(alpha=0.02).setup(link)
    x = np.random.randn(2, 2, 5, 5).astype(np.float32)
    target = np.roll(x, 1, axis=3)
    losses = []
    for _ in range(30):
        loss = F.mean_squared_error(link(x), target)
        link.cleargrads()
        loss.backward()
        opt.update()
        losses.append(float(loss.array))
    assert losses[-1] < 0.5 * losses[0]


def test_bad_input_names_the_function():
    link = L.DeformableConvolution2D(3, 4, 3)
    with pytest.raises(ValueError, match='DeformableConvolution2D: ksize'):
        L.DeformableConvolution2D(3, 4, (3, 3, 3))
    # the offset convolution sees the input first
    with pytest.raises(InvalidType, match='Convolution2DFunction'):
        link(np.ones((1, 2, 5, 5), np.float32))  # 2 channels, 3 expected
    with pytest.raises(InvalidType, match='Convolution2DFunction'):
        link(np.ones((2, 5, 5), np.float32))
    with pytest.raises(ValueError, match='deformable_convolution_2d_sampler: offset must'):
        link.deform_conv(np.ones((1, 3, 5, 5), np.float32), np.zeros((1, 18, 2, 2), np.float32))


@pytest.mark.gpu
def test_on_gpu():
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    link = L.DeformableConvolution2D(2, 3, 3, pad=1, deform_initialW=initializers.Normal(1.))
    x = np.random.RandomState(2).randn(2, 2, 4, 5).astype(np.float32)
    cpu = link(x).array
    link.to_device('@cupy:0')
    y = link(cuda.cupy.asarray(x))
    assert isinstance(y.array, cuda.ndarray)
    np.testing.assert_allclose(cuda.to_cpu(y.array), cpu, rtol=1e-5, atol=1e-5)
    F.sum(y).backward()
    for _, param in link.namedparams():
        assert isinstance(param.grad, cuda.ndarray)
