"""The Initializer protocol, fan computation, and array generation for parameters."""
from __future__ import annotations

import numbers

import numpy

from tracegrad.configuration import config


class Initializer:
    """Fills an array in place: ``initializer(array)``.

    Args:
        dtype: the dtype the filled array must have (None: any).
    """

    def __init__(self, dtype=None):
        self.dtype = None if dtype is None else numpy.dtype(dtype)

    def __call__(self, array) -> None:
        raise NotImplementedError

    def _check_dtype(self, array) -> None:
        if self.dtype is not None and array.dtype != self.dtype:
            raise ValueError(f'{type(self).__name__}: the array has dtype {array.dtype}, '
                             f'but the initializer was made for {self.dtype}')

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


def get_fans(shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of ``shape`` (out, in, *kernel).

    >>> initializers.get_fans((4, 3, 2, 2))
    (12, 16)
    """
    if not isinstance(shape, tuple):
        raise ValueError(  # noqa: TRY004 (Chainer raises ValueError)
            f'get_fans: shape must be a tuple, got {type(shape).__name__}')
    if len(shape) < 2:
        raise ValueError(f'get_fans: shape must have at least 2 axes, got {shape}')
    receptive_field = int(numpy.prod(shape[2:], dtype=numpy.int64))
    return shape[1] * receptive_field, shape[0] * receptive_field


def _is_scalar(value) -> bool:
    """A Python or NumPy number (``numpy.isscalar`` would also accept strings)."""
    return isinstance(value, (numbers.Number, numpy.number, numpy.bool_))


def _get_initializer(initializer):
    """Turn None (LeCunNormal), a scalar or an array (Constant) or a callable into an
    initializer."""
    from tracegrad.initializers.constant import Constant
    from tracegrad.initializers.normal import LeCunNormal
    from tracegrad.variable import _is_array

    if initializer is None:
        return LeCunNormal()
    if _is_scalar(initializer) or _is_array(initializer):
        return Constant(initializer)
    if not callable(initializer):
        raise TypeError(f'invalid type of initializer: {type(initializer).__name__} '
                        f'(expected None, a scalar, an array or an Initializer)')
    return initializer


def generate_array(initializer, shape, xp, dtype=None, device=None):
    """Allocate an array of ``shape`` and fill it with ``initializer``.

    The dtype is ``dtype``, else the initializer's ``dtype``, else ``config.dtype``.
    Values are drawn on the host (NumPy's global random state, as in Chainer) and
    sent to ``device`` (or to ``xp``'s default device).

    >>> initializers.generate_array(initializers.One(), (2,), np)
    array([1., 1.], dtype=float32)
    """
    own = getattr(initializer, 'dtype', None)
    if dtype is not None and own is not None and numpy.dtype(dtype) != numpy.dtype(own):
        raise ValueError(f'generate_array: dtype mismatch: {numpy.dtype(dtype)} was requested '
                         f'but the initializer has dtype {numpy.dtype(own)}')
    if dtype is None:
        dtype = own
    dtype = numpy.dtype(config.dtype if dtype is None else dtype)
    if isinstance(shape, (int, numpy.integer)):
        shape = (int(shape),)
    array = numpy.empty(tuple(shape), dtype=dtype)
    initializer(array)
    if device is not None:
        from tracegrad import backend

        return backend.get_device(device).send(array)
    if xp is not numpy:
        return xp.asarray(array)
    return array


def _fill(array, values) -> None:
    """Write host ``values`` into ``array`` (NumPy or device), cast to its dtype."""
    if isinstance(array, numpy.ndarray):
        array[...] = values
    else:
        from tracegrad import backend

        backend.copyto(array, numpy.asarray(values).astype(array.dtype, copy=False))
