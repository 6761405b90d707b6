"""Maxout: ``maxout``."""
from __future__ import annotations

from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['maxout']


def maxout(x, pool_size, axis=1) -> Variable:
    """Maxout: the maximum over groups of ``pool_size`` consecutive units along ``axis``.

    The ``axis`` dimension, of length ``M * pool_size``, is split into ``M``
    groups of ``pool_size`` and each group is reduced to its maximum.

    Args:
        x (Variable or array): a float array; usually the output of a linear
            or convolution layer.
        pool_size (int): the number of units per group.
        axis (int): the axis to group; its length must be a multiple of
            ``pool_size``.

    Returns:
        ~tracegrad.Variable: output like ``x`` but with ``axis`` of length ``M``.

    >>> x = np.arange(12, dtype=np.float32).reshape(2, 6)
    >>> F.maxout(x, 3).array
    array([[ 2.,  5.],
           [ 8., 11.]], dtype=float32)
    """
    from tracegrad.functions.array.reshape import reshape
    from tracegrad.functions.math.minmax import max

    if not isinstance(pool_size, int) or isinstance(pool_size, bool) or pool_size <= 0:
        raise ValueError(f'maxout: pool_size must be a positive integer, got {pool_size!r}')
    shape = x.shape
    if not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        raise ValueError(f'maxout: axis {axis!r} is out of range for x of shape {shape}')
    axis %= len(shape)
    if shape[axis] % pool_size != 0:
        expect = 'x.shape[axis] % pool_size == 0'
        actual = f'x.shape[axis]={shape[axis]}, pool_size={pool_size}'
        raise type_check.InvalidType(
            expect, actual, msg=f'maxout: axis {axis} of x (shape {shape}) must be split '
            f'into groups of pool_size\n\nExpect: {expect}\nActual: {actual}')
    grouped = shape[:axis] + (shape[axis] // pool_size, pool_size) + shape[axis + 1:]
    return max(reshape(x, grouped), axis=axis + 1)
