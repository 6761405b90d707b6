"""Splitting arrays: ``split_axis`` and ``separate`` (the inverses of concat and stack)."""
from __future__ import annotations

import itertools
import operator

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import _is_array

__all__ = ['separate', 'split_axis']


def _zeros_for_missing(grad_outputs, shapes, dtype) -> list:
    """Replace the None grads of unused outputs by zeros of their shapes."""
    xp = get_array_module(*[g for g in grad_outputs if g is not None])
    return [xp.zeros(shape, dtype) if g is None else g
            for g, shape in zip(grad_outputs, shapes)]


class SplitAxis(FunctionNode):
    """Split an array into consecutive pieces along an axis."""

    def __init__(self, indices, sections, axis: int):
        self.indices = indices  # a tuple of split points, or None
        self.sections = sections  # the number of equal pieces, or None
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(-x.ndim <= self.axis, self.axis < x.ndim)
        if self.indices is not None:
            if self.indices:
                type_check.expect(x.shape[self.axis] >= self.indices[-1])
        else:
            type_check.expect(x.shape[self.axis] % self.sections == 0)

    def forward(self, inputs):
        x, = inputs
        axis = self.axis % x.ndim
        n = x.shape[axis]
        if self.indices is not None:
            bounds = (0,) + self.indices + (n,)
        else:
            step = n // self.sections
            bounds = tuple(range(0, n + 1, step)) if step else (0,) * (self.sections + 1)
        lead = (slice(None),) * axis
        ys = tuple(x[lead + (slice(a, b),)] for a, b in itertools.pairwise(bounds))
        self._shapes = [y.shape for y in ys]
        self._dtype = x.dtype
        return ys

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.concat import concat

        return concat(_zeros_for_missing(grad_outputs, self._shapes, self._dtype), self.axis),


def _indices_or_sections(ios):
    """Return ``(indices, sections)``, exactly one of them not None."""
    if _is_array(ios):
        if ios.ndim > 1:
            raise TypeError('split_axis: indices_or_sections must be an int or a 1-D '
                            'sequence of ints')
        if ios.size and ios.dtype.kind not in 'iu':
            raise TypeError('split_axis: indices_or_sections must hold integers, got '
                            f'dtype {ios.dtype}')
        ios = ios.tolist()  # a list, or an int for a 0-d array
    if isinstance(ios, (list, tuple)):
        try:
            indices = tuple(operator.index(i) for i in ios)
        except TypeError:
            raise TypeError(f'split_axis: indices_or_sections must hold ints, '
                            f'got {ios!r}') from None
        if any(i < 0 for i in indices) or any(a > b for a, b in itertools.pairwise(indices)):
            raise ValueError(f'split_axis: indices must be non-negative and sorted, '
                             f'got {list(indices)}')
        return indices, None
    try:
        sections = operator.index(ios)
    except TypeError:
        raise TypeError('split_axis: indices_or_sections must be an int or a 1-D sequence '
                        f'of ints, got {type(ios).__name__}') from None
    if sections <= 0:
        raise ValueError(f'split_axis: the number of sections must be positive, got {sections}')
    return None, sections


def split_axis(x, indices_or_sections, axis: int, force_tuple: bool = True):
    """Split ``x`` into pieces along ``axis``.

    Args:
        x (Variable or array): input.
        indices_or_sections (int or 1-D array): an int ``N`` splits into ``N``
            equal pieces (the axis length must be divisible by ``N``); a sorted
            sequence of ints gives the positions where to split.
        axis (int): the axis to split.
        force_tuple (bool): return a tuple even for a single piece; when False
            a single piece is returned as a Variable.

    Returns:
        tuple of ~tracegrad.Variable, or ~tracegrad.Variable: the pieces.

    >>> x = np.arange(6).reshape(2, 3)
    >>> a, b = F.split_axis(x, [1], axis=1)
    >>> a.array
    array([[0],
           [3]])
    >>> b.array
    array([[1, 2],
           [4, 5]])
    >>> F.split_axis(x, 1, axis=0, force_tuple=False).shape
    (2, 3)
    """
    indices, sections = _indices_or_sections(indices_or_sections)
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f'split_axis: axis must be an int, got {type(axis).__name__}') from None
    ys = SplitAxis(indices, sections, axis).apply((x,))
    if force_tuple or len(ys) != 1:
        return ys
    return ys[0]


class Separate(FunctionNode):
    """Split an array into its slices along an axis, dropping that axis."""

    def __init__(self, axis: int):
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(-x.ndim <= self.axis, self.axis < x.ndim)

    def forward(self, inputs):
        x, = inputs
        axis = self.axis % x.ndim
        lead = (slice(None),) * axis
        ys = tuple(x[lead + (i,)] for i in range(x.shape[axis]))
        self._shape = x.shape[:axis] + x.shape[axis + 1:]
        self._dtype = x.dtype
        return ys

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.concat import stack

        grads = _zeros_for_missing(grad_outputs, [self._shape] * len(grad_outputs), self._dtype)
        return stack(grads, self.axis),


def separate(x, axis: int = 0) -> tuple:
    """Split ``x`` into its slices along ``axis`` (the inverse of :func:`stack`).

    Args:
        x (Variable or array): input.
        axis (int): the axis to take apart.

    Returns:
        tuple of ~tracegrad.Variable: ``x.shape[axis]`` variables, each without ``axis``.

    >>> x = np.arange(6).reshape((2, 3)).astype(np.float32)
    >>> x
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    >>> x.shape
    (2, 3)
    >>> y = F.separate(x) # split along axis=0
    >>> isinstance(y, tuple)
    True
    >>> len(y)
    2
    >>> y[0].shape
    (3,)
    >>> y[0].array
    array([0., 1., 2.], dtype=float32)
    >>> y = F.separate(x, axis=1)
    >>> len(y)
    3
    >>> y[0].shape
    (2,)
    >>> y[0].array
    array([0., 3.], dtype=float32)
    """
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f'separate: axis must be an int, got {type(axis).__name__}') from None
    return Separate(axis).apply((x,))
