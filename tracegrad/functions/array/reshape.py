"""Shape changes that keep the data order: ``reshape``, ``flatten``, ``expand_dims``, ``squeeze``."""
from __future__ import annotations

import operator

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable, as_variable

__all__ = ['expand_dims', 'flatten', 'reshape', 'squeeze']


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class Reshape(FunctionNode):
    """Give an array a new shape with the same number of elements."""

    def __init__(self, shape):
        self.shape = shape

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_shape = in_types[0].shape.eval()
        size = _prod(x_shape)
        known = _prod(s for s in self.shape if s >= 0)
        if -1 in self.shape:
            if known == 0 or size % known != 0:
                raise type_check.InvalidType(
                    f'prod(x.shape) % known_size(={known}) == 0',
                    f'{size} % {known} != 0')
        elif size != known:
            raise type_check.InvalidType(f'prod(x.shape) == prod({self.shape})',
                                         f'{size} != {known}')

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        return x.reshape(self.shape),

    def backward(self, indexes, grad_outputs):
        return reshape(grad_outputs[0], self._in_shape),


def _normalize_shape(caller: str, shape) -> tuple:
    if hasattr(shape, '__index__'):
        shape = (shape,)
    try:
        shape = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f'{caller}: shape must be a tuple of ints, got {shape!r}') from None
    if sum(1 for s in shape if s < 0) > 1 or any(s < -1 for s in shape):
        raise ValueError(f'{caller}: shape may hold at most one -1 and no other negative '
                         f'value, got {shape}')
    return shape


def reshape(x, shape) -> Variable:
    """Reshape ``x`` without copying its data.

    Args:
        x (Variable or array): input.
        shape (tuple of int): the new shape; it holds as many elements as ``x``.
            One entry may be -1: it is inferred from the others.

    Returns:
        ~tracegrad.Variable: the reshaped variable.

    >>> x = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    >>> y = F.reshape(x, (8,))
    >>> y.shape
    (8,)
    >>> y.array
    array([1, 2, 3, 4, 5, 6, 7, 8])
    >>> y = F.reshape(x, (4, -1))  # the shape of output is inferred
    >>> y.shape
    (4, 2)
    >>> y.array
    array([[1, 2],
           [3, 4],
           [5, 6],
           [7, 8]])
    >>> y = F.reshape(x, (4, 3))
    Traceback (most recent call last):
    ...
    tracegrad.utils.type_check.InvalidType: Invalid operation is performed in: Reshape (Forward)
    <BLANKLINE>
    Expect: prod(x.shape) == prod((4, 3))
    Actual: 8 != 12
    """
    shape = _normalize_shape('reshape', shape)
    if x.shape == shape:
        return as_variable(x)
    return Reshape(shape).apply((x,))[0]


def flatten(x) -> Variable:
    """Flatten ``x`` into a one-dimensional variable.

    Args:
        x (Variable or array): input.

    Returns:
        ~tracegrad.Variable: a 1-d variable of ``x.size`` elements.

    >>> x = np.array([[1, 2], [3, 4]])
    >>> x.shape
    (2, 2)
    >>> y = F.flatten(x)
    >>> y.shape
    (4,)
    >>> y.array
    array([1, 2, 3, 4])
    >>> x = np.arange(8).reshape(2, 2, 2)
    >>> x.shape
    (2, 2, 2)
    >>> y = F.flatten(x)
    >>> y.shape
    (8,)
    >>> y.array
    array([0, 1, 2, 3, 4, 5, 6, 7])
    """
    return reshape(x, (x.size,))


class ExpandDims(FunctionNode):
    """Insert an axis of length one."""

    def __init__(self, axis: int):
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_type, = in_types
        if self.axis >= 0:
            type_check.expect(x_type.ndim >= self.axis)
        else:
            type_check.expect(x_type.ndim >= -self.axis - 1)

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        axis = self.axis if self.axis >= 0 else self.axis + x.ndim + 1
        return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:]),

    def backward(self, indexes, grad_outputs):
        return reshape(grad_outputs[0], self._in_shape),


def expand_dims(x, axis: int) -> Variable:
    """Insert an axis of length one at ``axis``.

    Args:
        x (Variable or array): input.
        axis (int): where the new axis goes in the output; negative counts from the end.

    Returns:
        ~tracegrad.Variable: output with ``x.ndim + 1`` dimensions.

    >>> x = np.array([1, 2, 3])
    >>> x.shape
    (3,)
    >>> y = F.expand_dims(x, axis=0)
    >>> y.shape
    (1, 3)
    >>> y.array
    array([[1, 2, 3]])
    >>> y = F.expand_dims(x, axis=1)
    >>> y.shape
    (3, 1)
    >>> y.array
    array([[1],
           [2],
           [3]])
    >>> y = F.expand_dims(x, axis=-2)
    >>> y.shape
    (1, 3)
    >>> y.array
    array([[1, 2, 3]])
    """
    if not isinstance(axis, int) and not hasattr(axis, '__index__'):
        raise TypeError(f'expand_dims: axis must be an int, got {type(axis).__name__}')
    return ExpandDims(int(axis)).apply((x,))[0]


class Squeeze(FunctionNode):
    """Remove axes of length one."""

    def __init__(self, axis):
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_type, = in_types
        if self.axis is not None:
            for a in self.axis:
                if a >= 0:
                    type_check.expect(a < x_type.ndim)
                else:
                    type_check.expect(-a - 1 < x_type.ndim)
                type_check.expect(x_type.shape[a] == 1)

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        if self.axis is None:
            shape = tuple(s for s in x.shape if s != 1)
        else:
            drop = {a % x.ndim for a in self.axis}
            shape = tuple(s for i, s in enumerate(x.shape) if i not in drop)
        return x.reshape(shape),

    def backward(self, indexes, grad_outputs):
        return reshape(grad_outputs[0], self._in_shape),


def squeeze(x, axis=None) -> Variable:
    """Remove axes of length one.

    Args:
        x (Variable or array): input.
        axis (None, int or tuple of int): the axes to remove (each must have
            length one); None removes every axis of length one.

    Returns:
        ~tracegrad.Variable: the squeezed variable.

    >>> x = np.array([[[[0, 1, 2]]], [[[3, 4, 5]]]], np.float32)
    >>> x.shape
    (2, 1, 1, 3)
    >>> y = F.squeeze(x)
    >>> y.shape
    (2, 3)
    >>> y.array
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    >>> y = F.squeeze(x, axis=1)
    >>> y.shape
    (2, 1, 3)
    >>> y.array
    array([[[0., 1., 2.]],
    <BLANKLINE>
           [[3., 4., 5.]]], dtype=float32)
    >>> y = F.squeeze(x, axis=(1, 2))
    >>> y.shape
    (2, 3)
    >>> y.array
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    """
    if axis is not None:
        axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
        for a in axes:
            if not isinstance(a, int) and not hasattr(a, '__index__'):
                raise TypeError(f'squeeze: axis must be None, an int or a tuple of ints, '
                                f'got {axis!r}')
        axis = tuple(int(a) for a in axes)
    return Squeeze(axis).apply((x,))[0]
