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

    In the usual case ``x`` comes from a linear layer:

    >>> in_size, out_size, pool_size = 10, 10, 10
    >>> bias = np.arange(out_size * pool_size).astype(np.float32)
    >>> l = L.Linear(in_size, out_size * pool_size, initial_bias=bias)
    >>> x = np.zeros((1, in_size), np.float32)  # prepare data
    >>> x = l(x)
    >>> y = F.maxout(x, pool_size)
    >>> x.shape
    (1, 100)
    >>> y.shape
    (1, 10)
    >>> x.reshape((out_size, pool_size)).array
    array([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9.],
           [10., 11., 12., 13., 14., 15., 16., 17., 18., 19.],
           [20., 21., 22., 23., 24., 25., 26., 27., 28., 29.],
           [30., 31., 32., 33., 34., 35., 36., 37., 38., 39.],
           [40., 41., 42., 43., 44., 45., 46., 47., 48., 49.],
           [50., 51., 52., 53., 54., 55., 56., 57., 58., 59.],
           [60., 61., 62., 63., 64., 65., 66., 67., 68., 69.],
           [70., 71., 72., 73., 74., 75., 76., 77., 78., 79.],
           [80., 81., 82., 83., 84., 85., 86., 87., 88., 89.],
           [90., 91., 92., 93., 94., 95., 96., 97., 98., 99.]], \
dtype=float32)
    >>> y.array
    array([[ 9., 19., 29., 39., 49., 59., 69., 79., 89., 99.]], \
dtype=float32)
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
