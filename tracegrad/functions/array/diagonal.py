"""``diagonal``: the (batched) diagonal of a matrix, as ``numpy.diagonal``."""
from __future__ import annotations

import operator

import numpy

from tracegrad.variable import Variable

__all__ = ['diagonal']


def diagonal(x, offset=0, axis1=0, axis2=1) -> Variable:
    """Take the diagonal of ``x`` in the plane of ``axis1`` and ``axis2``.

    The other axes are batch axes and come first in the output; the diagonal
    is its last axis, as in :func:`numpy.diagonal`. The gradient puts the
    output's gradient back on the diagonal and zeros elsewhere.

    Args:
        x (Variable or array): input of at least two dimensions.
        offset (int): which diagonal: 0 the main one, positive ones above it
            (towards larger ``axis2`` indices), negative ones below it.
        axis1 (int): the axis of the row index.
        axis2 (int): the axis of the column index.

    Returns:
        ~tracegrad.Variable: the (batched) diagonal vectors.

    >>> x = chainer.Variable(np.arange(9).reshape(3, 3).astype(np.float32))
    >>> x
    variable([[0., 1., 2.],
              [3., 4., 5.],
              [6., 7., 8.]])
    >>> chainer.functions.diagonal(x, offset=1)
    variable([1., 5.])
    """
    from tracegrad.functions.array.get_item import get_item
    from tracegrad.functions.array.reshape import reshape
    from tracegrad.functions.array.transpose import _normalize_axis, transpose

    ndim = len(x.shape)
    if ndim < 2:
        raise ValueError(f'diagonal: the input must have at least 2 dimensions, got {ndim}')
    a1 = _normalize_axis('diagonal', 'axis1', axis1, ndim)
    a2 = _normalize_axis('diagonal', 'axis2', axis2, ndim)
    if a1 == a2:
        raise ValueError(f'diagonal: axis1 and axis2 must differ, got {axis1} and {axis2}')
    try:
        offset = operator.index(offset)
    except TypeError:
        raise TypeError(f'diagonal: offset must be an int, got {type(offset).__name__}') from None
    n1, n2 = x.shape[a1], x.shape[a2]
    rows = numpy.arange(max(0, -offset), n1)
    cols = rows + offset
    rows = rows[(cols >= 0) & (cols < n2)]
    # The plane goes first, flattened, so that one index array picks the diagonal.
    others = tuple(i for i in range(ndim) if i not in (a1, a2))
    planes = reshape(transpose(x, (a1, a2) + others),
                     (n1 * n2,) + tuple(x.shape[i] for i in others))
    picked = get_item(planes, rows * n2 + rows + offset)
    return transpose(picked, tuple(range(1, len(others) + 1)) + (0,))
