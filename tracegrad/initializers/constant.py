"""Initializers that fill a fixed value: Constant, Zero, One, NaN, Identity."""
from __future__ import annotations

import numpy

from tracegrad.initializers.base import Initializer, _fill, _is_scalar


class Constant(Initializer):
    """Fill with a scalar, or copy an array (broadcast to the target shape).

    Args:
        fill_value: a scalar or an array.
        dtype: the dtype the filled array must have.

    >>> a = np.empty((2, 2), np.float32); initializers.Constant(3)(a); a
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """

    def __init__(self, fill_value, dtype=None):
        from tracegrad.variable import _is_array

        if not (_is_scalar(fill_value) or _is_array(fill_value)):
            raise ValueError(f'{type(self).__name__}: fill_value must be a scalar or an array, '
                             f'got {type(fill_value).__name__}')
        super().__init__(dtype)
        self.fill_value = fill_value

    def __call__(self, array) -> None:
        self._check_dtype(array)
        fill = self.fill_value
        if _is_scalar(fill) or isinstance(fill, numpy.ndarray):
            _fill(array, numpy.asarray(fill))
        else:  # a device array
            from tracegrad import backend

            backend.copyto(array, fill.astype(array.dtype, copy=False))

    def __repr__(self) -> str:
        if _is_scalar(self.fill_value):
            return f'{type(self).__name__}({self.fill_value!r})'
        return f'{type(self).__name__}(<array {self.fill_value.shape}>)'


class Zero(Constant):
    """Fill with zeros."""

    def __init__(self, dtype=None):
        super().__init__(0.0, dtype)

    def __repr__(self) -> str:
        return 'Zero()'


class One(Constant):
    """Fill with ones."""

    def __init__(self, dtype=None):
        super().__init__(1.0, dtype)

    def __repr__(self) -> str:
        return 'One()'


class NaN(Constant):
    """Fill with NaN (marks values that must be overwritten before use)."""

    def __init__(self, dtype=None):
        super().__init__(numpy.nan, dtype)

    def __repr__(self) -> str:
        return 'NaN()'


class Identity(Initializer):
    """Fill a square matrix with ``scale`` times the identity.

    >>> a = np.empty((2, 2), np.float32); initializers.Identity(2)(a); a
    array([[2., 0.],
           [0., 2.]], dtype=float32)
    """

    def __init__(self, scale=1.0, dtype=None):
        super().__init__(dtype)
        self.scale = scale

    def __call__(self, array) -> None:
        self._check_dtype(array)
        shape = array.shape
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f'Identity: only a square 2-D array can be initialized, '
                             f'got shape {shape}')
        _fill(array, numpy.identity(shape[0]) * self.scale)
