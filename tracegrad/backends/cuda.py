"""Optional CuPy support. ``available`` is False and ``cupy`` is None without CuPy."""
from __future__ import annotations

import numpy

try:  # importing tracegrad never needs a GPU
    import cupy  # type: ignore[import-not-found]

    try:
        available = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        available = False
    ndarray = cupy.ndarray if available else type(None)
except ImportError:
    cupy = None
    available = False
    ndarray = type(None)

cudnn_enabled = False


def check_cuda_available() -> None:
    """Raise a clear RuntimeError when CuPy or a GPU is missing."""
    if not available:
        reason = ('CuPy is not installed (pip install "tracegrad[cuda]")' if cupy is None
                  else 'CuPy found no CUDA device')
        raise RuntimeError(f'tracegrad: a GPU was requested but {reason}.')


def get_array_module(*args):
    from tracegrad.backend import get_array_module as _get

    return _get(*args)


def random_takes_dtype(xp) -> bool:
    """Whether ``xp.random``'s draws take a ``dtype`` as CuPy's do (NumPy's global ones
    draw float64 only). True for CuPy, and for the compile tracer's ``xp`` while it traces
    a step that will run on CuPy, so traced draws are the ones eager CuPy makes.
    """
    if available and xp is cupy:
        return True
    return bool(getattr(getattr(xp, 'random', None), 'takes_dtype', False))


def to_cpu(array):
    """Copy an array (or Variable's array) to host memory as a NumPy array."""
    if array is None or isinstance(array, numpy.ndarray):
        return array
    if available and isinstance(array, ndarray):
        return array.get()
    return numpy.asarray(array)


def to_gpu(array, device=None):
    """Copy an array to GPU memory (device ``device``, default current)."""
    check_cuda_available()
    if array is None:
        return None
    if device is None:
        return cupy.asarray(array)
    with cupy.cuda.Device(device):
        return cupy.asarray(array)


class DummyDeviceType:
    """Stands for "no GPU": a do-nothing context manager with id -1 (Chainer's DummyDevice)."""

    id = -1

    def __int__(self) -> int:
        return -1

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        pass

    def use(self) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def __eq__(self, other) -> bool:
        return isinstance(other, DummyDeviceType)

    def __hash__(self) -> int:
        return -1

    def __repr__(self) -> str:
        return '<DummyDevice>'


DummyDevice = DummyDeviceType()


def get_device_from_id(device_id):
    """The CUDA device with this id, or DummyDevice for None."""
    if device_id is None:
        return DummyDevice
    check_cuda_available()
    return cupy.cuda.Device(device_id)


def get_device_from_array(*arrays):
    """The CUDA device of the first CuPy array among ``arrays``, else DummyDevice."""
    for a in arrays:
        if available and isinstance(a, ndarray):
            return a.device
    return DummyDevice



_CUDNN_LEVELS = {'==always': ('always',), '>=auto': ('always', 'auto')}
_CONFIG_CHOICES = ('always', 'auto', 'never')


def _checked_config(key: str) -> str:
    from tracegrad.configuration import config

    value = getattr(config, key)
    if value not in _CONFIG_CHOICES:
        raise ValueError(f'invalid {key} configuration {value!r}: expected one of '
                         f'{", ".join(map(repr, _CONFIG_CHOICES))}')
    return value


def should_use_cudnn(level: str, lowest_version: int = 0) -> bool:
    """Whether a function should call cuDNN, given ``config.use_cudnn`` and ``level``
    (``'==always'``: only when the config says ``'always'``; ``'>=auto'``: also for
    ``'auto'``). tracegrad's GPU functions run on CuPy kernels and cuBLAS without cuDNN
    (``cudnn_enabled`` is False), so the answer is always False; the arguments and the
    configuration are still checked as Chainer checks them, so code written for Chainer
    that asks gets a valid answer.
    """
    if level not in _CUDNN_LEVELS:
        raise ValueError(f'should_use_cudnn: invalid level {level!r}; expected '
                         f'\'==always\' or \'>=auto\'')
    if lowest_version < 0:
        raise ValueError(f'should_use_cudnn: lowest_version must be non-negative, got '
                         f'{lowest_version}')
    wanted = _checked_config('use_cudnn') in _CUDNN_LEVELS[level]
    return cudnn_enabled and wanted


def should_use_cudnn_tensor_core(dtype) -> bool:
    """Whether cuDNN should use Tensor Cores for ``dtype`` (``config.use_cudnn_tensor_core``):
    False, as tracegrad does not call cuDNN (see :func:`should_use_cudnn`)."""
    _checked_config('use_cudnn_tensor_core')
    numpy.dtype(dtype)
    return False
