"""Joining arrays: ``concat``, ``stack``, ``hstack``, ``vstack``, ``dstack``."""
from __future__ import annotations

import operator

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['concat', 'dstack', 'hstack', 'stack', 'vstack']


def _int_arg(caller: str, name: str, value) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f'{caller}: {name} must be an int, got {type(value).__name__}') from None


def _check_inputs(caller: str, xs) -> list:
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f'{caller}: xs must be a list or tuple of Variables or arrays, '
                        f'got {type(xs).__name__}')
    if len(xs) == 0:
        raise ValueError(f'{caller}: xs must hold at least one Variable or array')
    return list(xs)


class Concat(FunctionNode):
    """Join arrays along an existing axis."""

    def __init__(self, axis: int, name: str = 'Concat'):
        self.axis = axis
        self._name = name

    @property
    def label(self) -> str:
        return self._name

    def check_type_forward(self, in_types):
        type_check.expect(in_types.size() > 0)
        x0 = in_types[0]
        type_check.expect(-x0.ndim <= self.axis, x0.ndim > self.axis)
        ndim = x0.ndim.eval()
        axis = self.axis % ndim
        for x in in_types[1:]:
            type_check.expect(x0.dtype == x.dtype, x0.ndim == x.ndim)
            for d in range(ndim):
                if d != axis:
                    type_check.expect(x0.shape[d] == x.shape[d])

    def forward(self, inputs):
        self._sizes = [x.shape[self.axis] for x in inputs]
        return get_array_module(*inputs).concatenate(inputs, axis=self.axis),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.split_axis import split_axis

        if len(self._sizes) == 1:
            return grad_outputs
        bounds = []
        total = 0
        for s in self._sizes[:-1]:
            total += s
            bounds.append(total)
        return split_axis(grad_outputs[0], bounds, self.axis)


def concat(xs, axis: int = 1) -> Variable:
    """Join variables along an existing axis.

    Args:
        xs (tuple of Variables or arrays): inputs with the same shape except
            along ``axis``.
        axis (int): the axis to join along.

    Returns:
        ~tracegrad.Variable: the joined variable.

    >>> x = np.arange(0, 12).reshape(3, 4)
    >>> x
    array([[ 0,  1,  2,  3],
           [ 4,  5,  6,  7],
           [ 8,  9, 10, 11]])
    >>> y = np.arange(0, 3).reshape(3, 1)
    >>> y
    array([[0],
           [1],
           [2]])
    >>> z = F.concat((x, y), axis=1)
    >>> z.array
    array([[ 0,  1,  2,  3,  0],
           [ 4,  5,  6,  7,  1],
           [ 8,  9, 10, 11,  2]])
    """
    xs = _check_inputs('concat', xs)
    return Concat(_int_arg('concat', 'axis', axis)).apply(xs)[0]


class Stack(FunctionNode):
    """Join arrays of one shape along a new axis."""

    def __init__(self, axis: int):
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check.expect(in_types.size() > 0)
        x0 = in_types[0]
        type_check.expect(-x0.ndim - 1 <= self.axis, self.axis <= x0.ndim)
        for x in in_types[1:]:
            type_check.expect(x.dtype == x0.dtype, x.shape == x0.shape)

    def forward(self, inputs):
        x0 = inputs[0]
        axis = self.axis % (x0.ndim + 1)
        shape = x0.shape[:axis] + (1,) + x0.shape[axis:]
        xp = get_array_module(*inputs)
        return xp.concatenate([x.reshape(shape) for x in inputs], axis=axis),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.split_axis import separate

        return separate(grad_outputs[0], self.axis)


def stack(xs, axis: int = 0) -> Variable:
    """Join variables of one shape along a new axis.

    Args:
        xs (list of Variables or arrays): inputs of one shape.
        axis (int): the position of the new axis in the output
            (``-ndim - 1 <= axis <= ndim``).

    Returns:
        ~tracegrad.Variable: ``y`` with ``y[..., i, ...]`` (``i`` at ``axis``)
        equal to ``xs[i]``.

    >>> x1 = np.arange(0, 12).reshape(3, 4)
    >>> x1.shape
    (3, 4)
    >>> x1
    array([[ 0,  1,  2,  3],
           [ 4,  5,  6,  7],
           [ 8,  9, 10, 11]])
    >>> x2 = np.arange(12, 24).reshape(3, 4)
    >>> x2.shape
    (3, 4)
    >>> x2
    array([[12, 13, 14, 15],
           [16, 17, 18, 19],
           [20, 21, 22, 23]])
    >>> y = F.stack([x1, x2], axis=0)
    >>> y.shape
    (2, 3, 4)
    >>> y.array
    array([[[ 0,  1,  2,  3],
            [ 4,  5,  6,  7],
            [ 8,  9, 10, 11]],
    <BLANKLINE>
           [[12, 13, 14, 15],
            [16, 17, 18, 19],
            [20, 21, 22, 23]]])
    >>> y = F.stack([x1, x2], axis=1)
    >>> y.shape
    (3, 2, 4)
    >>> y.array
    array([[[ 0,  1,  2,  3],
            [12, 13, 14, 15]],
    <BLANKLINE>
           [[ 4,  5,  6,  7],
            [16, 17, 18, 19]],
    <BLANKLINE>
           [[ 8,  9, 10, 11],
            [20, 21, 22, 23]]])
    >>> y = F.stack([x1, x2], axis=2)
    >>> y.shape
    (3, 4, 2)
    >>> y.array
    array([[[ 0, 12],
            [ 1, 13],
            [ 2, 14],
            [ 3, 15]],
    <BLANKLINE>
           [[ 4, 16],
            [ 5, 17],
            [ 6, 18],
            [ 7, 19]],
    <BLANKLINE>
           [[ 8, 20],
            [ 9, 21],
            [10, 22],
            [11, 23]]])
    >>> y = F.stack([x1, x2], axis=-1)
    >>> y.shape
    (3, 4, 2)
    """
    xs = _check_inputs('stack', xs)
    return Stack(_int_arg('stack', 'axis', axis)).apply(xs)[0]


def _atleast_1d(s: tuple) -> tuple:
    return s if len(s) else (1,)


def _atleast_2d(s: tuple) -> tuple:
    return s if len(s) >= 2 else (1,) + _atleast_1d(s)


def _atleast_3d(s: tuple) -> tuple:
    if len(s) == 0:
        return (1, 1, 1)
    if len(s) == 1:
        return (1, s[0], 1)
    if len(s) == 2:
        return s + (1,)
    return s


def _concat_reshaped(caller: str, name: str, xs, min_shape, axis: int) -> Variable:
    """Reshape inputs of few dimensions as NumPy's h/v/dstack do, then concat."""
    from tracegrad.functions.array.reshape import reshape

    xs = _check_inputs(caller, xs)
    xs = [reshape(x, min_shape(x.shape)) for x in xs]
    return Concat(axis, name).apply(xs)[0]


def hstack(xs) -> Variable:
    """Join variables horizontally (along the second axis; the first for 1-d inputs).

    Args:
        xs (list of Variables or arrays): inputs of one ``ndim``; with two or
            more dimensions they agree in all axes but the second.

    Returns:
        ~tracegrad.Variable: the joined variable; 0-d and 1-d inputs give a
        1-d output of their total size.

    >>> x1 = np.array((1, 2, 3))
    >>> x1.shape
    (3,)
    >>> x2 = np.array((2, 3, 4))
    >>> x2.shape
    (3,)
    >>> y = F.hstack((x1, x2))
    >>> y.shape
    (6,)
    >>> y.array
    array([1, 2, 3, 2, 3, 4])
    >>> x1 = np.arange(0, 12).reshape(3, 4)
    >>> x1.shape
    (3, 4)
    >>> x1
    array([[ 0,  1,  2,  3],
           [ 4,  5,  6,  7],
           [ 8,  9, 10, 11]])
    >>> x2 = np.arange(12, 18).reshape(3, 2)
    >>> x2.shape
    (3, 2)
    >>> x2
    array([[12, 13],
           [14, 15],
           [16, 17]])
    >>> y = F.hstack([x1, x2])
    >>> y.shape
    (3, 6)
    >>> y.array
    array([[ 0,  1,  2,  3, 12, 13],
           [ 4,  5,  6,  7, 14, 15],
           [ 8,  9, 10, 11, 16, 17]])
    """
    xs = _check_inputs('hstack', xs)
    axis = 0 if len(xs[0].shape) <= 1 else 1
    return _concat_reshaped('hstack', 'Hstack', xs, _atleast_1d, axis)


def vstack(xs) -> Variable:
    """Join variables vertically (along the first axis; 1-d inputs become rows).

    Args:
        xs (list of Variables or arrays): inputs of one ``ndim``; with two or
            more dimensions they agree in all axes but the first, with fewer
            they have one shape.

    Returns:
        ~tracegrad.Variable: the joined variable; ``N`` 1-d inputs of size
        ``M`` give shape ``(N, M)``.

    >>> x1 = np.array((1, 2, 3))
    >>> x1.shape
    (3,)
    >>> x2 = np.array((2, 3, 4))
    >>> x2.shape
    (3,)
    >>> y = F.vstack((x1, x2))
    >>> y.shape
    (2, 3)
    >>> y.array
    array([[1, 2, 3],
           [2, 3, 4]])
    >>> x1 = np.arange(0, 12).reshape(3, 4)
    >>> x1.shape
    (3, 4)
    >>> x1
    array([[ 0,  1,  2,  3],
           [ 4,  5,  6,  7],
           [ 8,  9, 10, 11]])
    >>> x2 = np.arange(12, 20).reshape(2, 4)
    >>> x2.shape
    (2, 4)
    >>> x2
    array([[12, 13, 14, 15],
           [16, 17, 18, 19]])
    >>> y = F.vstack([x1, x2])
    >>> y.shape
    (5, 4)
    >>> y.array
    array([[ 0,  1,  2,  3],
           [ 4,  5,  6,  7],
           [ 8,  9, 10, 11],
           [12, 13, 14, 15],
           [16, 17, 18, 19]])
    """
    return _concat_reshaped('vstack', 'Vstack', xs, _atleast_2d, 0)


def dstack(xs) -> Variable:
    """Join variables along the third axis (depth); smaller inputs are lifted to 3-d.

    Args:
        xs (list of Variables or arrays): inputs of one ``ndim``; with three
            or more dimensions they agree in all axes but the third, with fewer
            they have one shape.

    Returns:
        ~tracegrad.Variable: the joined variable; shape ``(N1, N2)`` inputs
        give ``(N1, N2, len(xs))``, shape ``(N,)`` ones ``(1, N, len(xs))``.

    >>> x1 = np.array((1, 2, 3))
    >>> x1.shape
    (3,)
    >>> x2 = np.array((2, 3, 4))
    >>> x2.shape
    (3,)
    >>> y = F.dstack((x1, x2))
    >>> y.shape
    (1, 3, 2)
    >>> y.array
    array([[[1, 2],
            [2, 3],
            [3, 4]]])
    >>> x1 = np.arange(0, 6).reshape(3, 2)
    >>> x2 = np.arange(6, 12).reshape(3, 2)
    >>> y = F.dstack([x1, x2])
    >>> y.shape
    (3, 2, 2)
    >>> y.array
    array([[[ 0,  6],
            [ 1,  7]],
    <BLANKLINE>
           [[ 2,  8],
            [ 3,  9]],
    <BLANKLINE>
           [[ 4, 10],
            [ 5, 11]]])
    >>> x1 = np.arange(0, 12).reshape(3, 2, 2)
    >>> x2 = np.arange(12, 18).reshape(3, 2, 1)
    >>> y = F.dstack([x1, x2])
    >>> y.shape
    (3, 2, 3)
    >>> y.array
    array([[[ 0,  1, 12],
            [ 2,  3, 13]],
    <BLANKLINE>
           [[ 4,  5, 14],
            [ 6,  7, 15]],
    <BLANKLINE>
           [[ 8,  9, 16],
            [10, 11, 17]]])
    """
    return _concat_reshaped('dstack', 'Dstack', xs, _atleast_3d, 2)
