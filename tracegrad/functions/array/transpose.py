"""Axis permutations: ``transpose``, ``swapaxes``, ``moveaxis``, ``rollaxis``."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['moveaxis', 'rollaxis', 'swapaxes', 'transpose']


class Transpose(FunctionNode):
    """Permute the axes of an array (reverse them when ``axes`` is None)."""

    def __init__(self, axes=None):
        self.axes = axes

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        if self.axes is not None:
            ndim = in_types[0].ndim.eval()
            ok = len(self.axes) == ndim and sorted(a % ndim if -ndim <= a < ndim else -1
                                                   for a in self.axes) == list(range(ndim))
            if not ok:
                raise type_check.InvalidType(f'axes {self.axes} is a permutation of the '
                                             f'x.ndim axes', f'x.ndim == {ndim}')

    def forward(self, inputs):
        x, = inputs
        return x.transpose(self.axes),

    def backward(self, indexes, grad_outputs):
        axes = self.axes
        if axes is not None:
            n = len(axes)
            inverse = [0] * n
            for i, a in enumerate(axes):
                inverse[a % n] = i
            axes = tuple(inverse)
        return Transpose(axes).apply(grad_outputs)


def transpose(x, axes=None) -> Variable:
    """Permute the axes of ``x`` without copying its data.

    Args:
        x (Variable or array): input.
        axes (tuple of int): the permutation; None reverses the axes.

    Returns:
        ~tracegrad.Variable: the permuted variable.

    >>> x = np.array([[[0, 1, 2], [3, 4, 5]]], np.float32)
    >>> x.shape
    (1, 2, 3)
    >>> y = F.transpose(x)  # reverse the dimensions
    >>> y.shape
    (3, 2, 1)
    >>> y.array
    array([[[0.],
            [3.]],
    <BLANKLINE>
           [[1.],
            [4.]],
    <BLANKLINE>
           [[2.],
            [5.]]], dtype=float32)
    >>> y = F.transpose(x, axes=(1, 0, 2)) # swap 1st and 2nd axis
    >>> y.shape
    (2, 1, 3)
    >>> y.array
    array([[[0., 1., 2.]],
    <BLANKLINE>
           [[3., 4., 5.]]], dtype=float32)
    """
    if axes is not None:
        try:
            axes = tuple(int(a) for a in axes)
        except TypeError:
            raise TypeError(f'transpose: axes must be None or a tuple of ints, '
                            f'got {axes!r}') from None
    return Transpose(axes).apply((x,))[0]


def _normalize_axis(caller: str, name: str, axis, ndim: int) -> int:
    if not isinstance(axis, int) and not hasattr(axis, '__index__'):
        raise TypeError(f'{caller}: {name} must be an int, got {type(axis).__name__}')
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f'{caller}: {name}={axis} is out of range for an input of '
                         f'{ndim} dimensions')
    return axis % ndim


def swapaxes(x, axis1: int, axis2: int) -> Variable:
    """Swap two axes of ``x``.

    Args:
        x (Variable or array): input.
        axis1 (int): the first axis.
        axis2 (int): the second axis.

    Returns:
        ~tracegrad.Variable: the variable with the two axes exchanged.

    >>> x = np.array([[[0, 1, 2], [3, 4, 5]]], np.float32)
    >>> x.shape
    (1, 2, 3)
    >>> y = F.swapaxes(x, axis1=0, axis2=1)
    >>> y.shape
    (2, 1, 3)
    >>> y.array
    array([[[0., 1., 2.]],
    <BLANKLINE>
           [[3., 4., 5.]]], dtype=float32)
    """
    ndim = len(x.shape)
    a1 = _normalize_axis('swapaxes', 'axis1', axis1, ndim)
    a2 = _normalize_axis('swapaxes', 'axis2', axis2, ndim)
    axes = list(range(ndim))
    axes[a1], axes[a2] = axes[a2], axes[a1]
    return transpose(x, tuple(axes))


def moveaxis(x, source, destination) -> Variable:
    """Move axes of ``x`` to new positions; the other axes keep their order.

    Args:
        x (Variable or array): input.
        source (int or tuple of int): the axes to move.
        destination (int or tuple of int): their positions in the output.

    Returns:
        ~tracegrad.Variable: the variable with the axes moved.

    >>> x = np.zeros((2, 3, 4, 5), np.float32)
    >>> F.moveaxis(x, 0, -1).shape
    (3, 4, 5, 2)
    >>> F.moveaxis(x, -1, 0).shape
    (5, 2, 3, 4)
    >>> F.moveaxis(x, (0, 1), (-1, -2)).shape
    (4, 5, 3, 2)
    """
    ndim = len(x.shape)
    src = (source,) if not isinstance(source, (tuple, list)) else tuple(source)
    dst = (destination,) if not isinstance(destination, (tuple, list)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f'moveaxis: source {source!r} and destination {destination!r} '
                         f'must have the same number of elements')
    src = [_normalize_axis('moveaxis', 'source', a, ndim) for a in src]
    dst = [_normalize_axis('moveaxis', 'destination', a, ndim) for a in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f'moveaxis: repeated axis in source {source!r} or destination '
                         f'{destination!r}')
    rest = [a for a in range(ndim) if a not in src]
    order = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    it = iter(rest)
    axes = tuple(a if a is not None else next(it) for a in order)
    return transpose(x, axes)


def rollaxis(x, axis: int, start: int = 0) -> Variable:
    """Roll ``axis`` backwards until it lies before position ``start``.

    Args:
        x (Variable or array): input.
        axis (int): the axis to move.
        start (int): the axis is moved to just before this position
            (``0 <= start <= x.ndim``, or negative counting from the end).

    Returns:
        ~tracegrad.Variable: the variable with the axis moved.

    >>> x = np.zeros((2, 3, 4), np.float32)
    >>> F.rollaxis(x, 2).shape
    (4, 2, 3)
    >>> F.rollaxis(x, 0, 3).shape
    (3, 4, 2)
    """
    ndim = len(x.shape)
    axis = _normalize_axis('rollaxis', 'axis', axis, ndim)
    if not isinstance(start, int) and not hasattr(start, '__index__'):
        raise TypeError(f'rollaxis: start must be an int, got {type(start).__name__}')
    start = int(start)
    if not -ndim <= start <= ndim:
        raise ValueError(f'rollaxis: start={start} is out of range for an input of '
                         f'{ndim} dimensions')
    if start < 0:
        start += ndim
    axes = [a for a in range(ndim) if a != axis]
    axes.insert(start - 1 if axis < start else start, axis)
    return transpose(x, tuple(axes))
