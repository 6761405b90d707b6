import numpy as np
import pytest

import tracegrad
from tracegrad import backend
from tracegrad.backends import cuda


def test_get_device_specs():
    cpu = backend.CpuDevice()
    for spec in ('@numpy', -1, np, cpu):
        assert backend.get_device(spec) == cpu
    assert str(cpu) == '@numpy' and cpu.xp is np
    with pytest.raises(ValueError, match="get_device: invalid device specifier '@foo'"):
        backend.get_device('@foo')
    with pytest.raises(ValueError, match='invalid device specifier'):
        backend.get_device('@cupy:x')
    with pytest.raises(TypeError, match='invalid device specifier'):
        backend.get_device(1.5)
    with pytest.raises(TypeError):
        backend.get_device(True)


def test_get_array_module():
    assert backend.get_array_module(np.zeros(1)) is np
    assert backend.get_array_module(tracegrad.Variable(np.zeros(1))) is np
    assert tracegrad.get_array_module(1.0) is np


def test_cpu_device_send():
    cpu = backend.CpuDevice()
    a = np.zeros(2)
    assert cpu.send(a) is a
    out = cpu.send((a, [a], {'k': a}))
    assert out[0] is a and out[1][0] is a and out[2]['k'] is a


@pytest.mark.skipif(cuda.available, reason='checks the behaviour without a GPU')
def test_without_gpu():
    with pytest.raises(RuntimeError, match='a GPU was requested'):
        backend.get_device('@cupy:0')
    with pytest.raises(RuntimeError, match='a GPU was requested'):
        backend.get_device(0)


def test_cuda_module_attributes():
    assert isinstance(cuda.available, bool)
    if not cuda.available:
        assert cuda.cupy is None or not cuda.available
    assert cuda.to_cpu(np.ones(2)).shape == (2,)


def test_copyto():
    dst = np.zeros(2)
    backend.copyto(dst, np.ones(2))
    np.testing.assert_array_equal(dst, [1, 1])


@pytest.mark.gpu
def test_gpu_device_roundtrip():
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    dev = backend.get_device('@cupy:0')
    a = dev.send(np.arange(3.0))
    assert backend.get_array_module(a) is cuda.cupy
    assert backend.get_device_from_array(a) == dev
    np.testing.assert_array_equal(backend.CpuDevice().send(a), [0, 1, 2])
    x = tracegrad.Variable(np.ones(2, np.float32))
    x.to_device(0)
    assert x.device == dev
    with pytest.raises(TypeError, match='different devices'):
        x + tracegrad.Variable(np.ones(2, np.float32))


def test_chainer_cuda_is_backends_cuda():
    import tracegrad
    import tracegrad.cuda

    assert tracegrad.cuda is cuda and tracegrad.cuda.to_cpu is cuda.to_cpu


def test_should_use_cudnn_checks_arguments_and_config():
    import tracegrad

    # tracegrad never calls cuDNN, whatever the configuration says.
    for setting in ('always', 'auto', 'never'):
        with tracegrad.using_config('use_cudnn', setting):
            assert tracegrad.should_use_cudnn('==always') is False
            assert tracegrad.should_use_cudnn('>=auto', lowest_version=5000) is False
    with pytest.raises(ValueError, match="should_use_cudnn: invalid level '>=always'"):
        tracegrad.should_use_cudnn('>=always')
    with tracegrad.using_config('use_cudnn', True), \
            pytest.raises(ValueError, match="invalid use_cudnn configuration True"):
        tracegrad.should_use_cudnn('>=auto')
    assert tracegrad.should_use_cudnn_tensor_core(np.float16) is False
    with tracegrad.using_config('use_cudnn_tensor_core', 'sometimes'), \
            pytest.raises(ValueError, match='invalid use_cudnn_tensor_core configuration'):
        tracegrad.should_use_cudnn_tensor_core(np.float16)


def test_array_types_and_debug_mode():
    import tracegrad as chainer

    assert isinstance(np.zeros(1), chainer.get_array_types())
    assert not isinstance([1.], chainer.get_array_types())
    assert chainer.get_cpu_array_types() == (np.ndarray,)
    assert chainer.is_arrays_compatible([np.zeros(1), None, np.ones(2)])
    assert not chainer.is_debug()
    with chainer.DebugMode(True):
        assert chainer.is_debug()
    assert not chainer.is_debug()
