"""Small array helpers shared by functions (Chainer's ``chainer.utils`` names)."""
from __future__ import annotations

import numpy


def force_array(x, dtype=None):
    """Return ``x`` as an array (NumPy reductions may return scalars)."""
    if numpy.isscalar(x) or isinstance(x, numpy.generic):
        return numpy.asarray(x, dtype=dtype)
    if dtype is not None and x.dtype != dtype:
        return x.astype(dtype, copy=False)
    return x


def force_type(dtype, value):
    """Cast a scalar or array to ``dtype``."""
    if numpy.isscalar(value):
        return dtype.type(value)
    if value.dtype != dtype:
        return value.astype(dtype, copy=False)
    return value


def sum_to_shape(x, shape: tuple):
    """Sum the array ``x`` over broadcast axes so that its shape becomes ``shape``."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    ndim = len(shape)
    lead = x.ndim - ndim
    if lead == 1 and x.shape[1:] == shape:  # a batch axis only, e.g. a bias gradient
        return x.sum(axis=0)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        y = y.reshape(y.shape[lead:])
    return y


def size_of_shape(shape) -> int:
    """The number of elements of an array of this shape.

    >>> utils.size_of_shape((2, 3, 4))
    24
    >>> utils.size_of_shape(())
    1
    """
    size = 1
    for n in shape:
        size *= n
    return int(size)


def sum_to(x, shape):
    """Sum the array ``x`` over broadcast axes down to ``shape`` (arrays only; for
    Variables use :func:`tracegrad.functions.sum_to`).

    >>> utils.sum_to(np.ones((2, 3, 4)), (3, 1))
    array([[8.],
           [8.],
           [8.]])
    """
    from tracegrad.variable import Variable

    if isinstance(x, Variable):
        raise TypeError('utils.sum_to takes arrays, not Variables; use '
                        'tracegrad.functions.sum_to for Variables')
    return sum_to_shape(x, shape)
