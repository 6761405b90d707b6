"""Reversals: ``flip``, ``fliplr``, ``flipud``."""
from __future__ import annotations

import operator

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['flip', 'fliplr', 'flipud']


class Flip(FunctionNode):
    """Reverse an array along one axis."""

    def __init__(self, axis: int, name: str = 'Flip'):
        self.axis = axis
        self._name = name

    @property
    def label(self) -> str:
        return self._name

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(x.ndim > 0)
        if self.axis >= 0:
            type_check.expect(x.ndim > self.axis)
        else:
            type_check.expect(x.ndim >= -self.axis)

    def forward(self, inputs):
        x, = inputs
        index = [slice(None)] * x.ndim
        index[self.axis] = slice(None, None, -1)
        return x[tuple(index)],

    def backward(self, indexes, grad_outputs):
        return Flip(self.axis, self._name).apply(grad_outputs)


def flip(x, axis: int) -> Variable:
    """Reverse the order of elements of ``x`` along ``axis``.

    Args:
        x (Variable or array): input.
        axis (int): the axis to reverse.

    Returns:
        ~tracegrad.Variable: the reversed variable.

    >>> F.flip(np.array([[1, 2, 3], [4, 5, 6]]), 1).array
    array([[3, 2, 1],
           [6, 5, 4]])
    """
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f'flip: axis must be an int, got {type(axis).__name__}') from None
    return Flip(axis).apply((x,))[0]


def fliplr(a) -> Variable:
    """Reverse ``a`` left/right: along its second axis (``a.ndim >= 2``).

    Args:
        a (Variable or array): input of at least two dimensions.

    Returns:
        ~tracegrad.Variable: the flipped variable.

    >>> F.fliplr(np.array([[1., 2.], [3., 4.]], np.float32)).array
    array([[2., 1.],
           [4., 3.]], dtype=float32)
    """
    return Flip(1, 'FlipLR').apply((a,))[0]


def flipud(a) -> Variable:
    """Reverse ``a`` up/down: along its first axis (``a.ndim >= 1``).

    Args:
        a (Variable or array): input of at least one dimension.

    Returns:
        ~tracegrad.Variable: the flipped variable.

    >>> F.flipud(np.array([[1., 2.], [3., 4.]], np.float32)).array
    array([[3., 4.],
           [1., 2.]], dtype=float32)
    """
    return Flip(0, 'FlipUD').apply((a,))[0]
