"""Indexing: ``get_item`` (``x[slices]``), basic and advanced, with a scatter-add gradient."""
from __future__ import annotations

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.variable import Variable

__all__ = ['get_item']


def _normalize_slices(slices) -> tuple:
    """Turn ``slices`` into the tuple NumPy would index with.

    A list of ints is one integer-array index (``x[[0, 2]]``); any other list is
    a tuple of indices, as in Chainer.
    """
    if isinstance(slices, list):
        if all(isinstance(s, int) and not isinstance(s, bool) for s in slices):
            return (slices,)
        return tuple(slices)
    if isinstance(slices, tuple):
        return slices
    return (slices,)


def _check_slices(slices: tuple) -> None:
    from tracegrad.variable import _is_array

    ellipses = 0
    for s in slices:
        if s is Ellipsis:
            ellipses += 1
        elif isinstance(s, Variable):
            raise TypeError('get_item: indices must be ints, slices, None, Ellipsis or '
                            'arrays, not Variables; index with `v.array` instead')
        elif not (s is None or isinstance(s, (int, slice, list)) or _is_array(s)
                  or hasattr(s, '__index__')):
            raise TypeError(f'get_item: invalid index {s!r} of type {type(s).__name__}')
    if ellipses > 1:
        raise ValueError('get_item: only one Ellipsis is allowed in the index')


def _on_device(xp, slices: tuple) -> tuple:
    """Move NumPy index arrays to the namespace of the indexed array (e.g. CuPy)."""
    if xp is numpy:
        return slices
    return tuple(xp.asarray(s) if isinstance(s, (numpy.ndarray, list)) else s for s in slices)


class GetItem(FunctionNode):
    """Extract ``x[slices]``."""

    def __init__(self, slices: tuple):
        self.slices = slices

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        return x[_on_device(get_array_module(x), self.slices)],

    def backward(self, indexes, grad_outputs):
        return GetItemGrad(self.slices, self._in_shape).apply(grad_outputs)


class GetItemGrad(FunctionNode):
    """Scatter-add ``gy`` into zeros of the input's shape at ``slices``.

    Repeated indices add up. Its own gradient is ``get_item`` again.
    """

    def __init__(self, slices: tuple, in_shape: tuple):
        self.slices = slices
        self._in_shape = in_shape

    def forward(self, inputs):
        gy, = inputs
        xp = get_array_module(gy)
        gx = xp.zeros(self._in_shape, gy.dtype)
        xp.add.at(gx, _on_device(xp, self.slices), gy)
        return gx,

    def backward(self, indexes, grad_outputs):
        return GetItem(self.slices).apply(grad_outputs)


def get_item(x, slices) -> Variable:
    """Extract elements of ``x`` as NumPy's ``x[slices]`` does.

    Basic indexing (ints, slices, None, Ellipsis) and advanced indexing (integer
    arrays and boolean masks) are supported. The gradient scatter-adds into
    zeros, so an element picked several times receives the sum of its gradients.

    Args:
        x (Variable or array): input.
        slices (int, slice, Ellipsis, None, integer array-like, boolean
            array-like or tuple of them): the index. A list of ints is one
            integer-array index.

    Returns:
        ~tracegrad.Variable: the selected elements.

    >>> x = np.arange(12).reshape((2, 2, 3))
    >>> x
    array([[[ 0,  1,  2],
            [ 3,  4,  5]],
    <BLANKLINE>
           [[ 6,  7,  8],
            [ 9, 10, 11]]])
    >>> F.get_item(x, 0)
    variable([[0, 1, 2],
              [3, 4, 5]])
    >>> F.get_item(x, (0, 0, slice(0, 2, 1)))  # equals x[0, 0, 0:2:1]
    variable([0, 1])
    >>> F.get_item(x, (Ellipsis, 2))  # equals x[..., 2]
    variable([[ 2,  5],
              [ 8, 11]])
    >>> F.get_item(x, (1, np.newaxis, 1, 0))  # equals x[1, None, 1, 0]
    variable([9])
    """
    slices = _normalize_slices(slices)
    _check_slices(slices)
    return GetItem(slices).apply((x,))[0]
