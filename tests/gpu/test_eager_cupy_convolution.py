"""The N-D convolution and pooling links and functions on CuPy (or, under
``TRACEGRAD_HOST_CUPY=1``, its CPU stand-in) give the CPU's numbers, parameters and grads."""
import numpy as np
import pytest
from test_eager_cupy import GPU, assert_close, on_gpu, twins

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import backend
from tracegrad.backends import cuda

pytestmark = pytest.mark.gpu


@pytest.fixture(autouse=True)
def _needs_gpu():
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU (or TRACEGRAD_HOST_CUPY=1)')


def _rand(*shape):
    return np.random.RandomState(sum(shape) + 1).randn(*shape).astype(np.float32)


LINKS = {
    'Convolution1D': (lambda: L.Convolution1D(2, 3, 3, stride=2, pad=1), [(2, 2, 7)]),
    'Convolution3D': (lambda: L.Convolution3D(None, 4, 2, pad=1, groups=2), [(1, 2, 3, 4, 3)]),
    'ConvolutionND': (lambda: L.ConvolutionND(2, 2, 3, 3, cover_all=True, dilate=2),
                      [(1, 2, 6, 7)]),
    'Deconvolution1D': (lambda: L.Deconvolution1D(2, 4, 3, stride=2, groups=2), [(2, 2, 4)]),
    'Deconvolution3D': (lambda: L.Deconvolution3D(2, 3, 2, outsize=(5, 4, 3), stride=2),
                        [(1, 2, 2, 2, 1)]),
    'DilatedConvolution2D': (lambda: L.DilatedConvolution2D(2, 3, 2, dilate=2), [(1, 2, 5, 6)]),
    'DepthwiseConvolution2D': (lambda: L.DepthwiseConvolution2D(3, 2, 2), [(2, 3, 4, 5)]),
    'LocalConvolution2D': (lambda: L.LocalConvolution2D(2, 3, (5, 4), 2, 1), [(2, 2, 5, 4)]),
    'Bilinear': (lambda: L.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    'Inception': (lambda: L.Inception(2, 1, 1, 2, 1, 2, 1), [(1, 2, 5, 5)]),
    'InceptionBN': (lambda: L.InceptionBN(2, 1, 1, 2, 1, 2, 'avg', 1), [(2, 2, 5, 5)]),
    'MLPConvolution2D': (lambda: L.MLPConvolution2D(2, (3, 2), 3), [(1, 2, 5, 5)]),
}


def _run(link, shapes, device):
    ys = link(*[device.send(_rand(*s)) for s in shapes])
    link.cleargrads()
    F.sum(ys * ys).backward()
    return ys.array


@pytest.mark.parametrize('name', list(LINKS))
def test_link_on_gpu_equals_cpu(name):
    make, shapes = LINKS[name]
    with tracegrad.using_config('train', True):
        cpu, gpu = twins(make)
        if getattr(getattr(cpu, 'W', None), 'array', 0) is None:
            # a lazy link: initialise it on the CPU first, so both twins hold the same weights
            _run(cpu, shapes, backend.CpuDevice())
            gpu = cpu.copy(mode='copy')
            gpu.to_device(GPU)
        y_cpu = _run(cpu, shapes, backend.CpuDevice())
        y_gpu = _run(gpu, shapes, backend.get_device(GPU))
    assert_close(y_gpu, y_cpu, f'{name} output', rtol=1e-4, atol=1e-4)
    params_cpu = dict(cpu.namedparams())
    for pname, p in gpu.namedparams():
        assert on_gpu(p.array), pname
        assert_close(p.grad, params_cpu[pname].grad, f'{name} grad {pname}', rtol=1e-4,
                     atol=1e-4)


def test_nd_functions_on_gpu_equal_cpu():
    x = _rand(2, 3, 5, 4, 3)
    gpu = backend.get_device(GPU)
    for f in (lambda a: F.max_pooling_3d(a, 2, pad=1),
              lambda a: F.average_pooling_nd(a, (2, 3, 1), stride=1, pad=(1, 1, 0), pad_value=None),
              lambda a: F.unpooling_3d(a, 2, outsize=(10, 8, 6)),
              lambda a: F.spatial_pyramid_pooling_2d(a[:, :, :, :, 0], 2, 'max'),
              lambda a: F.im2col(a[:, :, :, :, 0], 2, stride=1, pad=1),
              lambda a: F.shift(F.reshape(a[:, :, :, :, :3], (2, 9, 5, 4)))):
        y_cpu = f(x).array
        y_gpu = f(gpu.send(x)).array
        assert_close(y_gpu, y_cpu, rtol=1e-5, atol=1e-6)
