"""Repetition: ``tile`` (the whole array) and ``repeat`` (each element)."""
from __future__ import annotations

import operator

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.variable import Variable

__all__ = ['repeat', 'tile']


def _ints(caller: str, name: str, value) -> tuple:
    """``value`` (an int or a tuple of ints >= 0) as a tuple of ints."""
    if isinstance(value, bool):
        raise TypeError(f'{caller}: {name} must be an int or a tuple of ints, got {value!r}')
    try:
        values = (operator.index(value),)
    except TypeError:
        if not isinstance(value, tuple):
            raise TypeError(f'{caller}: {name} must be an int or a tuple of ints, '
                            f'got {type(value).__name__}') from None
        try:
            values = tuple(operator.index(v) for v in value)
        except TypeError:
            raise TypeError(f'{caller}: {name} must be an int or a tuple of ints, '
                            f'got {value!r}') from None
    if any(v < 0 for v in values):
        raise ValueError(f'{caller}: all elements of {name} must be zero or larger, '
                         f'got {value!r}')
    return values


class Tile(FunctionNode):
    """Repeat a whole array along each axis."""

    def __init__(self, reps: tuple):
        self.reps = reps

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        return get_array_module(x).tile(x, self.reps),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.math.sum import sum as sum_

        gy, = grad_outputs
        ndim = max(len(self.reps), len(self._in_shape))
        reps = (1,) * (ndim - len(self.reps)) + self.reps
        shape = (1,) * (ndim - len(self._in_shape)) + self._in_shape
        # Output axis i is (reps[i], shape[i]) flattened: split it and sum the reps.
        split = tuple(d for pair in zip(reps, shape) for d in pair)
        gx = sum_(reshape(gy, split), axis=tuple(range(0, 2 * ndim, 2)))
        return reshape(gx, self._in_shape),


def tile(x, reps) -> Variable:
    """Build an array by repeating ``x`` ``reps`` times along each axis.

    Args:
        x (Variable or array): input. With fewer dimensions than ``len(reps)``
            it is treated as if new leading axes of length one were added.
        reps (int or tuple of int): repetitions per axis; with fewer entries
            than ``x.ndim``, ones are prepended.

    Returns:
        ~tracegrad.Variable: output with ``max(len(reps), x.ndim)`` dimensions.

    >>> x = np.array([0, 1, 2])
    >>> x.shape
    (3,)
    >>> y = F.tile(x, 2)
    >>> y.shape
    (6,)
    >>> y.array
    array([0, 1, 2, 0, 1, 2])
    >>> y = F.tile(x, (2, 2))
    >>> y.shape
    (2, 6)
    >>> y.array
    array([[0, 1, 2, 0, 1, 2],
           [0, 1, 2, 0, 1, 2]])
    >>> y = F.tile(x, (2, 1, 2))
    >>> y.shape
    (2, 1, 6)
    >>> y.array
    array([[[0, 1, 2, 0, 1, 2]],
    <BLANKLINE>
           [[0, 1, 2, 0, 1, 2]]])
    >>> x = np.array([[1, 2], [3, 4]])
    >>> x.shape
    (2, 2)
    >>> y = F.tile(x, 2)
    >>> y.shape
    (2, 4)
    >>> y.array
    array([[1, 2, 1, 2],
           [3, 4, 3, 4]])
    >>> y = F.tile(x, (2, 2))
    >>> y.shape
    (4, 4)
    >>> y.array
    array([[1, 2, 1, 2],
           [3, 4, 3, 4],
           [1, 2, 1, 2],
           [3, 4, 3, 4]])
    >>> y = F.tile(x, (2, 1, 2))
    >>> y.shape
    (2, 2, 4)
    >>> y.array
    array([[[1, 2, 1, 2],
            [3, 4, 3, 4]],
    <BLANKLINE>
           [[1, 2, 1, 2],
            [3, 4, 3, 4]]])
    """
    return Tile(_ints('tile', 'reps', reps)).apply((x,))[0]


def repeat(x, repeats, axis=None) -> Variable:
    """Repeat each element of ``x``.

    It gathers ``x`` along ``axis`` with a fixed index (``[0, 0, 1, 1, ...]``),
    so the gradient adds up the copies of each element.

    Args:
        x (Variable or array): input.
        repeats (int or tuple of int): how often each element is repeated;
            a tuple gives one count per element along ``axis``.
        axis (int or None): the axis along which to repeat; None repeats the
            elements of the flattened input.

    Returns:
        ~tracegrad.Variable: the repeated variable.

    >>> x = np.array([0, 1, 2])
    >>> x.shape
    (3,)
    >>> y = F.repeat(x, 2)
    >>> y.shape
    (6,)
    >>> y.array
    array([0, 0, 1, 1, 2, 2])
    >>> x = np.array([[1,2], [3,4]])
    >>> x.shape
    (2, 2)
    >>> y = F.repeat(x, 3, axis=1)
    >>> y.shape
    (2, 6)
    >>> y.array
    array([[1, 1, 1, 2, 2, 2],
           [3, 3, 3, 4, 4, 4]])
    >>> y = F.repeat(x, (1, 2), axis=0)
    >>> y.shape
    (3, 2)
    >>> y.array
    array([[1, 2],
           [3, 4],
           [3, 4]])
    """
    from tracegrad.functions.array.get_item import get_item
    from tracegrad.functions.array.reshape import reshape

    repeats = _ints('repeat', 'repeats', repeats)
    if axis is not None and (isinstance(axis, bool) or not hasattr(axis, '__index__')):
        raise TypeError(f'repeat: axis must be an int or None, got {type(axis).__name__}')
    shape = x.shape
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
        shape = (int(numpy.prod(shape)),)
    axis = operator.index(axis)
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f'repeat: axis={axis} is out of range for an input of '
                         f'{len(shape)} dimensions')
    axis %= len(shape)
    n = shape[axis]
    if len(repeats) not in (1, n):
        raise ValueError(f'repeat: repeats has {len(repeats)} elements; expected 1 or '
                         f'{n} (the length of axis {axis})')
    index = numpy.repeat(numpy.arange(n), repeats if len(repeats) > 1 else repeats[0])
    return get_item(x, (slice(None),) * axis + (index,))
