"""Devices and array modules: NumPy on the CPU, CuPy on a GPU.

Every op finds its array namespace with :func:`get_array_module`, so one
``forward`` serves NumPy, CuPy and, while compiling, the tracer's arrays.
"""
from __future__ import annotations

from typing import Any

import numpy

from tracegrad.backends import cuda

# Array types whose namespace is not NumPy: CuPy's ndarray, the tracer's array.
_namespaces: dict[type, Any] = {}
if cuda.available:
    _namespaces[cuda.ndarray] = cuda.cupy


# The types of concrete (eager) arrays: NumPy's, and CuPy's where a GPU is available.
DEVICE_ARRAY_TYPES: tuple = (numpy.ndarray, cuda.ndarray) if cuda.available else (numpy.ndarray,)


def register_array_namespace(array_type: type, xp: Any) -> None:
    """Make :func:`get_array_module` return ``xp`` for arrays of ``array_type``."""
    _namespaces[array_type] = xp


# Special-function namespaces of array modules that are not NumPy's or CuPy's (the tracer's).
_special_namespaces: dict = {}


def register_special_namespace(xp: Any, special: Any) -> None:
    """Make :func:`get_special_module` return ``special`` for array module ``xp``."""
    _special_namespaces[xp] = special


def get_special_module(xp: Any, function: str) -> Any:
    """The special-function namespace (erf, gammaln, zeta... by SciPy's names) of array
    module ``xp``: ``scipy.special`` for NumPy, ``cupyx.scipy.special`` for CuPy, the
    tracer's own while compiling.

    Args:
        xp: an array module, as :func:`get_array_module` returns.
        function: the name of the function that needs it, for the error when SciPy (or
            CuPy's cupyx) is not installed.

    >>> backend.get_special_module(np, 'erf').erf(np.array([0., 1.]))
    array([0.        , 0.84270079])
    """
    special = _special_namespaces.get(xp)
    if special is not None:
        return special
    from codegen.primitives import special_module

    try:
        return special_module(xp)
    except ImportError as e:
        needs = 'SciPy (pip install "tracegrad[special]")' if xp is numpy else \
            'cupyx.scipy.special, which comes with CuPy'
        raise ImportError(f'{function} needs {needs} for its forward pass: {e}') from e


def get_array_module(*args: Any) -> Any:
    """Return the array module (``numpy``, ``cupy``...) for the given arrays or Variables.

    >>> backend.get_array_module(np.zeros(3)) is np
    True
    """
    for a in args:
        t = type(a)
        if t is numpy.ndarray:
            continue
        xp = _namespaces.get(t)
        if xp is None and hasattr(a, 'xp'):  # Variable and Device carry their module
            xp = a.xp
            if xp is numpy:
                continue
        if xp is not None:
            return xp
    return numpy


class Device:
    """A place where arrays live. Compare with ``==``; ``str(device)`` is its name."""

    xp: Any = None
    name: str = ''

    def send(self, arrays):
        """Transfer an array (or a nested tuple/list/dict of arrays) to this device."""
        if isinstance(arrays, (list, tuple)):
            return type(arrays)(self.send(a) for a in arrays)
        if isinstance(arrays, dict):
            return {k: self.send(v) for k, v in arrays.items()}
        return self.send_array(arrays)

    def send_array(self, array):
        raise NotImplementedError

    def use(self) -> None:
        """Make this device current (a no-op on the CPU)."""

    def create_context(self):
        import contextlib

        return contextlib.nullcontext()

    def __eq__(self, other):
        return isinstance(other, Device) and self.name == other.name

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<{type(self).__name__} {self.name}>'

    def __str__(self):
        return self.name


class CpuDevice(Device):
    """The CPU, with NumPy arrays (``'@numpy'``)."""

    xp = numpy
    name = '@numpy'
    supported_array_types = (numpy.ndarray,)

    def send_array(self, array):
        if array is None or isinstance(array, numpy.ndarray):
            return array
        if cuda.available and isinstance(array, cuda.ndarray):
            return array.get()
        if numpy.isscalar(array):
            return numpy.asarray(array)
        return numpy.asarray(array)

    def is_array_supported(self, array) -> bool:
        return isinstance(array, numpy.ndarray)


class GpuDevice(Device):
    """A CUDA GPU, with CuPy arrays (``'@cupy:N'``)."""

    def __init__(self, device):
        cuda.check_cuda_available()
        if isinstance(device, int):
            device = cuda.cupy.cuda.Device(device)
        self.device = device
        self.device_id = device.id
        self.xp = cuda.cupy
        self.name = f'@cupy:{self.device_id}'
        self.supported_array_types = (cuda.ndarray,)

    @staticmethod
    def from_device_id(device_id: int) -> GpuDevice:
        return GpuDevice(device_id)

    def send_array(self, array):
        if array is None:
            return None
        with self.device:
            return cuda.cupy.asarray(array)

    def use(self) -> None:
        self.device.use()

    def create_context(self):
        return self.device

    def is_array_supported(self, array) -> bool:
        return isinstance(array, cuda.ndarray) and array.device.id == self.device_id


_cpu_device = CpuDevice()


def get_device(device_spec: Any) -> Device:
    """Return the :class:`Device` named by ``device_spec``.

    Args:
        device_spec: a :class:`Device`; ``'@numpy'``; ``'@cupy:N'``; an int
            (``N >= 0`` is GPU ``N``, negative is the CPU); the ``numpy`` module;
            or a ``cupy.cuda.Device``.

    >>> backend.get_device('@numpy')
    <CpuDevice @numpy>
    >>> backend.get_device(-1)
    <CpuDevice @numpy>
    """
    if isinstance(device_spec, Device):
        return device_spec
    if device_spec is numpy:
        return _cpu_device
    if isinstance(device_spec, bool):
        raise TypeError(f'get_device: invalid device specifier {device_spec!r}')
    if isinstance(device_spec, (int, numpy.integer)):
        return _cpu_device if device_spec < 0 else GpuDevice(int(device_spec))
    if isinstance(device_spec, str):
        if device_spec.lstrip('-').isdigit():  # '-1', '0': Chainer's examples pass strings
            return get_device(int(device_spec))
        if device_spec == '@numpy':
            return _cpu_device
        if device_spec.startswith('@cupy:'):
            rest = device_spec[len('@cupy:'):]
            if rest.isdigit():
                return GpuDevice(int(rest))
        raise ValueError(
            f"get_device: invalid device specifier {device_spec!r}; expected '@numpy', "
            f"'@cupy:N' or an int")
    if cuda.available:
        if device_spec is cuda.cupy:
            return GpuDevice(cuda.cupy.cuda.Device().id)
        if isinstance(device_spec, cuda.cupy.cuda.Device):
            return GpuDevice(device_spec)
    raise TypeError(f'get_device: invalid device specifier {device_spec!r}')


def get_device_from_array(*arrays: Any) -> Device:
    """Return the device of the first GPU array among ``arrays``, else the CPU."""
    for a in arrays:
        if cuda.available and isinstance(a, cuda.ndarray):
            return GpuDevice(a.device.id)
        device = getattr(a, 'device', None)
        if isinstance(device, Device):
            return device
    return _cpu_device


def using_device(device_spec: Any):
    """Context manager making the device current (a no-op for the CPU)."""
    return get_device(device_spec).create_context()


def copyto(dst, src) -> None:
    """Copy ``src`` into the array ``dst``, across devices if needed."""
    if isinstance(dst, numpy.ndarray):
        numpy.copyto(dst, _cpu_device.send_array(src))
    elif cuda.available and isinstance(dst, cuda.ndarray):
        with dst.device:
            cuda.cupy.copyto(dst, cuda.cupy.asarray(src))
    else:
        raise TypeError(f'copyto: cannot copy into {type(dst).__name__}')


def is_arrays_compatible(arrays) -> bool:
    """True when all arrays are of one array module (all NumPy, or all CuPy)."""
    arrays = [a for a in arrays if a is not None]
    return len({get_array_module(a) for a in arrays}) <= 1
