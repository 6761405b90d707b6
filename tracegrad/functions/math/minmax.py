"""Reductions that select: ``max``, ``min``, ``argmax``, ``argmin``."""
from __future__ import annotations

import numbers

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.math.sum import Reduction, broadcast_reduced, check_axes
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['argmax', 'argmin', 'max', 'min']


class _Extremum(Reduction):
    """Max or min over axes; the gradient goes to every element equal to the result."""

    _op = ''

    def forward(self, inputs):
        x, = inputs
        self._setup(x)
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        xp = get_array_module(x)
        return getattr(xp, self._op)(x, axis=self.axis, keepdims=self.keepdims),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        hit = x.array == y.array.reshape(self._keepdims_shape())
        gx = broadcast_reduced(grad_outputs[0], self._in_shape, self._axes)
        return gx * hit.astype(x.dtype),


class Max(_Extremum):
    _op = 'max'


class Min(_Extremum):
    _op = 'min'


class _ArgExtremum(FunctionNode):
    """Index of the max or min along one axis (or of the flattened array); int32."""

    _op = ''

    def __init__(self, axis=None):
        if axis is not None and (not isinstance(axis, numbers.Integral)
                                 or isinstance(axis, bool)):
            raise TypeError(f'{self._op}: axis must be None or an int, got {axis!r}')
        self.axis = None if axis is None else int(axis)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')
        check_axes(in_types[0], None if self.axis is None else (self.axis,))

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        return getattr(xp, self._op)(x, axis=self.axis).astype(numpy.int32),

    def backward(self, indexes, grad_outputs):
        return None,


class ArgMax(_ArgExtremum):
    _op = 'argmax'


class ArgMin(_ArgExtremum):
    _op = 'argmin'


def max(x, axis=None, keepdims=False) -> Variable:
    """Maximum of array elements over the given axes.

    Elements equal to the maximum all receive its gradient.

    Args:
        x (Variable or array): a float array.
        axis (None, int or tuple of int): axes to reduce; None reduces all of them.
        keepdims (bool): keep the reduced axes as axes of length one.

    Returns:
        ~tracegrad.Variable: the maxima.

    >>> F.max(np.array([[1., 5.], [4., 2.]], np.float32), axis=1).array
    array([5., 4.], dtype=float32)
    """
    return Max(axis, keepdims).apply((x,))[0]


def min(x, axis=None, keepdims=False) -> Variable:
    """Minimum of array elements over the given axes.

    Elements equal to the minimum all receive its gradient.

    Args:
        x (Variable or array): a float array.
        axis (None, int or tuple of int): axes to reduce; None reduces all of them.
        keepdims (bool): keep the reduced axes as axes of length one.

    Returns:
        ~tracegrad.Variable: the minima.

    >>> F.min(np.array([[1., 5.], [4., 2.]], np.float32), axis=1).array
    array([1., 2.], dtype=float32)
    """
    return Min(axis, keepdims).apply((x,))[0]


def argmax(x, axis=None) -> Variable:
    """Index of the maximum along ``axis`` (of the flattened array if None).

    It has no gradient.

    Args:
        x (Variable or array): a float array.
        axis (None or int): the axis to search.

    Returns:
        ~tracegrad.Variable: int32 indices.

    >>> F.argmax(np.array([[1., 5.], [4., 2.]], np.float32), axis=1).array
    array([1, 0], dtype=int32)
    """
    return ArgMax(axis).apply((x,))[0]


def argmin(x, axis=None) -> Variable:
    """Index of the minimum along ``axis`` (of the flattened array if None).

    It has no gradient.

    Args:
        x (Variable or array): a float array.
        axis (None or int): the axis to search.

    Returns:
        ~tracegrad.Variable: int32 indices.

    >>> F.argmin(np.array([[1., 5.], [4., 2.]], np.float32), axis=1).array
    array([0, 1], dtype=int32)
    """
    return ArgMin(axis).apply((x,))[0]
