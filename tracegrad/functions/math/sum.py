"""Sums: ``sum_to`` (reduce a broadcast array back to a shape)."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.utils.array import sum_to_shape
from tracegrad.variable import Variable, as_variable

__all__ = ['sum_to']


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
