"""The Initializer protocol, constant fills, and array generation for parameters."""
from __future__ import annotations

import numbers

import numpy

from tracegrad.configuration import config


class Initializer:
    """Fills an array in place: ``initializer(array)``.

    Args:
        dtype: the dtype the generated array gets (default ``config.dtype``).
    """

    def __init__(self, dtype=None):
        self.dtype = None if dtype is None else numpy.dtype(dtype)

    def __call__(self, array) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


class Constant(Initializer):
    """Fill with a scalar, or copy an array (broadcast to the target shape).

    >>> a = np.empty((2, 2), np.float32); initializers.Constant(3)(a); a
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """

    def __init__(self, fill_value, dtype=None):
        if dtype is None and hasattr(fill_value, 'dtype') and not isinstance(fill_value, numpy.generic):
            dtype = fill_value.dtype
        super().__init__(dtype)
        self.fill_value = fill_value

    def __call__(self, array) -> None:
        if self.dtype is not None and array.dtype != self.dtype:
            raise ValueError(f'Constant: the array has dtype {array.dtype}, the initializer '
                             f'was made for {self.dtype}')
        from tracegrad import backend

        fill = self.fill_value
        if isinstance(fill, (numbers.Number, numpy.generic)):
            array[...] = fill
        else:
            xp = backend.get_array_module(array)
            array[...] = xp.broadcast_to(backend.get_device_from_array(array).send(
                numpy.asarray(fill) if isinstance(fill, (list, tuple)) else fill), array.shape)


class Zero(Constant):
    """Fill with zeros."""

    def __init__(self, dtype=None):
        super().__init__(0.0, dtype)


class One(Constant):
    """Fill with ones."""

    def __init__(self, dtype=None):
        super().__init__(1.0, dtype)


class NaN(Constant):
    """Fill with NaN (marks values that must be overwritten before use)."""

    def __init__(self, dtype=None):
        super().__init__(numpy.nan, dtype)


def _get_initializer(initializer) -> Initializer:
    """Turn None, a scalar, an array or an Initializer into an Initializer."""
    if initializer is None:
        from tracegrad.initializers import LeCunNormal

        return LeCunNormal()
    if isinstance(initializer, Initializer):
        return initializer
    if numpy.isscalar(initializer) or isinstance(initializer, numpy.generic):
        return Constant(initializer)
    if hasattr(initializer, 'shape') and hasattr(initializer, 'dtype'):
        return Constant(initializer)
    if callable(initializer):
        return initializer
    raise TypeError(f'initializer must be None, a scalar, an array or an Initializer, '
                    f'got {type(initializer).__name__}')


def generate_array(initializer, shape, xp, dtype=None, device=None):
    """Allocate an array of ``shape`` and fill it with ``initializer``.

    The dtype is, in order: ``dtype``, the initializer's dtype, ``config.dtype``.
    """
    if dtype is None:
        dtype = getattr(initializer, 'dtype', None)
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
