"""``cumsum``: cumulative sum along an axis."""
from __future__ import annotations

import numbers

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.math.sum import check_axes
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['cumsum']


class Cumsum(FunctionNode):
    """Cumulative sum along ``axis`` (of the flattened input if None).

    With ``reverse`` it sums from the end of the axis, which is the gradient of
    the forward sum; ``out_shape`` reshapes the result (the gradient of a
    flattened cumsum takes the input's shape back).
    """

    def __init__(self, axis=None, reverse: bool = False, out_shape=None):
        if axis is not None and (not isinstance(axis, numbers.Integral)
                                 or isinstance(axis, bool)):
            raise TypeError(f'cumsum: axis must be None or an int, got {axis!r}')
        self.axis = None if axis is None else int(axis)
        self.reverse = reverse
        self.out_shape = out_shape

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')
        check_axes(in_types[0], None if self.axis is None else (self.axis,))

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        xp = get_array_module(x)
        if self.axis is None:
            x, axis = x.reshape(-1), 0
        else:
            axis = self.axis % x.ndim
        if self.reverse:
            flip = (slice(None),) * axis + (slice(None, None, -1),)
            y = xp.cumsum(x[flip], axis=axis)[flip]
        else:
            y = xp.cumsum(x, axis=axis)
        if self.out_shape is not None:
            y = y.reshape(self.out_shape)
        return y,

    def backward(self, indexes, grad_outputs):
        out_shape = self._in_shape if self.axis is None else None
        return Cumsum(self.axis, not self.reverse, out_shape).apply(grad_outputs)


def cumsum(x, axis=None) -> Variable:
    """Cumulative sum of array elements along an axis.

    Args:
        x (Variable or array): a float array.
        axis (None or int): the axis; None sums the flattened array.

    Returns:
        ~tracegrad.Variable: the running sums (1-D if ``axis`` is None).

    >>> F.cumsum(np.array([[1., 2.], [3., 4.]], np.float32), axis=1).array
    array([[1., 3.],
           [3., 7.]], dtype=float32)
    """
    return Cumsum(axis).apply((x,))[0]
