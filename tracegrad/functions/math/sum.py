"""Sums: ``sum`` over axes, ``sum_to`` (reduce a broadcast array back to a shape).

Also the pieces every reduction shares: axis validation (:func:`normalize_axis`),
the :class:`Reduction` base class, and :func:`broadcast_reduced`, which spreads a
reduced gradient back over the reduced axes (the backward of a sum).
"""
from __future__ import annotations

import numbers

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.utils.array import sum_to_shape
from tracegrad.variable import Variable, as_variable

__all__ = ['sum', 'sum_to']


def _is_int(a) -> bool:
    return isinstance(a, numbers.Integral) and not isinstance(a, bool)


def normalize_axis(func_name: str, axis):
    """Check an ``axis`` argument: None, an int or a tuple of distinct ints.

    Returns None or a tuple of ints (possibly negative; see :class:`Reduction`).
    """
    if axis is None:
        return None
    if _is_int(axis):
        return (int(axis),)
    if isinstance(axis, tuple) and all(_is_int(a) for a in axis):
        if len(set(axis)) != len(axis):
            raise ValueError(f'{func_name}: duplicate value in axis: {axis}')
        return tuple(int(a) for a in axis)
    raise TypeError(f'{func_name}: axis must be None, an int or a tuple of ints, '
                    f'got {axis!r}')


def check_axes(x_type, axis) -> None:
    """Type-check that every axis in ``axis`` (None or a tuple) indexes ``x_type``."""
    if axis is None:
        return
    for a in axis:
        if a >= 0:
            type_check.expect(x_type.ndim > a)
        else:
            type_check.expect(x_type.ndim >= -a)
    ndim = x_type.ndim.eval()
    positive = sorted(a % ndim for a in axis)
    if len(set(positive)) != len(positive):
        raise type_check.InvalidType('distinct axes', f'axis={axis} with x.ndim == {ndim}')


class Reduction(FunctionNode):
    """Base of the reductions of one float array over ``axis`` (all axes if None).

    Subclasses call :meth:`_setup` in ``forward``; afterwards ``self._axes`` holds
    the reduced axes as non-negative ints and ``self._in_shape`` the input shape.
    """

    def __init__(self, axis=None, keepdims=False):
        self.axis = normalize_axis(type(self).__name__.lower(), axis)
        self.keepdims = bool(keepdims)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')
        check_axes(in_types[0], self.axis)

    def _setup(self, x) -> None:
        self._in_shape = x.shape
        if self.axis is None:
            self._axes = tuple(range(x.ndim))
        else:
            self._axes = tuple(sorted(a % x.ndim for a in self.axis)) if x.ndim else ()

    def _keepdims_shape(self) -> tuple:
        return tuple(1 if i in self._axes else s for i, s in enumerate(self._in_shape))


class Sum(Reduction):
    """Sum of the elements over axes."""

    def forward(self, inputs):
        x, = inputs
        self._setup(x)
        xp = get_array_module(x)
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims),

    def backward(self, indexes, grad_outputs):
        return broadcast_reduced(grad_outputs[0], self._in_shape, self._axes),


class BroadcastReduced(FunctionNode):
    """Broadcast an array whose ``axes`` were reduced (kept or dropped) back to ``shape``."""

    def __init__(self, shape, axes):
        self._shape = tuple(shape)
        self._axes = tuple(axes)

    def forward(self, inputs):
        g, = inputs
        self._kept = g.ndim == len(self._shape)
        kd_shape = tuple(1 if i in self._axes else s for i, s in enumerate(self._shape))
        return get_array_module(g).broadcast_to(g.reshape(kd_shape), self._shape),

    def backward(self, indexes, grad_outputs):
        return Sum(self._axes, self._kept).apply(grad_outputs)


def broadcast_reduced(g, shape, axes) -> Variable:
    """Undo a reduction's shape: broadcast ``g`` over ``axes`` of ``shape``.

    ``g`` has ``shape`` with ``axes`` removed or set to 1; its gradient is summed back.
    """
    if g.shape == tuple(shape):
        return as_variable(g)
    return BroadcastReduced(shape, axes).apply((g,))[0]


def sum(x, axis=None, keepdims=False) -> Variable:
    """Sum of array elements over the given axes.

    Args:
        x (Variable or array): a float array.
        axis (None, int or tuple of int): axes to sum over; None sums all of them.
        keepdims (bool): keep the summed axes as axes of length one.

    Returns:
        ~tracegrad.Variable: the sums.

    >>> x = np.arange(6).reshape(2,3).astype(np.float32)
    >>> x
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    >>> y = F.sum(x)
    >>> y.shape
    ()
    >>> y.array
    array(15., dtype=float32)
    >>> y = F.sum(x, axis=1)
    >>> y.shape
    (2,)
    >>> y.array
    array([ 3., 12.], dtype=float32)
    >>> y = F.sum(x, keepdims=True)
    >>> y.shape
    (1, 1)
    >>> y.array
    array([[15.]], dtype=float32)
    """
    return Sum(axis, keepdims).apply((x,))[0]


class SumTo(FunctionNode):
    """Sum over the axes along which ``shape`` was broadcast."""

    def __init__(self, shape):
        self._shape = tuple(shape)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        shape = self._shape
        ok = len(shape) <= x.ndim.eval() and all(
            s == 1 or s == xs for s, xs in zip(shape[::-1], x.shape.eval()[::-1]))
        if not ok:
            raise type_check.InvalidType(
                f'x.shape broadcastable from {shape}', f'x.shape == {x.shape.eval()}')

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        return sum_to_shape(x, self._shape),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.broadcast import broadcast_to

        return broadcast_to(grad_outputs[0], self._in_shape),


def sum_to(x, shape) -> Variable:
    """Sum elements of ``x`` so that the result has ``shape`` (the inverse of broadcast_to).

    Args:
        x (Variable or array): input; ``shape`` must broadcast to ``x.shape``.
        shape (tuple of int): the target shape.

    Returns:
        ~tracegrad.Variable: output of ``shape``.

    >>> x = np.array([[1., 2., 3.], [4., 5., 6.]], np.float32)
    >>> F.sum_to(x, (1, 3))
    variable([[5., 7., 9.]])
    >>> F.sum_to(x, (2, 1))
    variable([[ 6.],
              [15.]])
    """
    shape = tuple(shape)
    if getattr(x, 'shape', None) == shape:
        return as_variable(x)
    return SumTo(shape).apply((x,))[0]
