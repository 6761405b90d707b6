"""``resize_images``: bilinear or nearest-neighbour resizing of (n, c, h, w) images.

Both rules are separable: every output row is a weighted sum of at most two
input rows, and every output column of at most two input columns. So the
resize is ``Wv @ x @ Wu.T`` with two small constant interpolation matrices
built on the host, its gradient is the same product with the transposed
matrices, and both are matrix products that the compiler can trace.
"""
from __future__ import annotations

import operator

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['resize_images']


def _source_positions(out_size: int, in_size: int, mode: str, align_corners: bool):
    """Per output index: the first source index, the weight of the next one (Chainer's rule)."""
    out = numpy.arange(out_size, dtype=numpy.float64)
    if mode == 'nearest':
        pos = numpy.minimum(numpy.floor(out * (in_size / out_size)), in_size - 1)
    elif align_corners:
        pos = numpy.linspace(0, in_size - 1, num=out_size)
    else:  # pixel centres, as OpenCV
        pos = numpy.maximum((out + 0.5) * (in_size / out_size) - 0.5, 0)
    first = numpy.floor(pos)
    return first.astype(numpy.intp), pos - first


def interpolation_matrix(out_size: int, in_size: int, mode: str, align_corners: bool):
    """The (out_size, in_size) matrix that resizes one axis."""
    first, weight = _source_positions(out_size, in_size, mode, align_corners)
    second = numpy.minimum(first + 1, in_size - 1)
    rows = numpy.arange(out_size)
    matrix = numpy.zeros((out_size, in_size))
    numpy.add.at(matrix, (rows, first), 1 - weight)
    numpy.add.at(matrix, (rows, second), weight)
    return matrix


class _Separable2D(FunctionNode):
    """``rows @ x @ cols.T`` over the last two axes, for constant host matrices."""

    def __init__(self, rows, cols, name: str):
        self.rows = rows
        self.cols = cols
        self._name = name

    @property
    def label(self) -> str:
        return self._name

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(x.dtype.kind == 'f', x.ndim == 4,
                          x.shape[2] == self.rows.shape[1], x.shape[3] == self.cols.shape[1])

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        rows = xp.asarray(self.rows.astype(x.dtype))
        cols_t = xp.asarray(self.cols.T.astype(x.dtype))
        return xp.matmul(xp.matmul(rows, x), cols_t),

    def backward(self, indexes, grad_outputs):
        name = self._name[:-4] if self._name.endswith('Grad') else self._name + 'Grad'
        return _Separable2D(self.rows.T, self.cols.T, name).apply(grad_outputs)


def resize_images(x, output_shape, *, mode='bilinear', align_corners=True) -> Variable:
    """Resize images ``x`` of shape (n, c, h, w) to (n, c, h_O, w_O).

    Args:
        x (Variable or array): float images of shape (n, c, h, w).
        output_shape (tuple of int): ``(h_O, w_O)``, height first (the
            opposite of OpenCV's order).
        mode (str): ``'bilinear'`` or ``'nearest'``.
        align_corners (bool): for ``'bilinear'``: if True the corner pixels of
            input and output coincide; if False pixel centres are mapped as
            OpenCV does. ``'nearest'`` ignores it.

    Returns:
        ~tracegrad.Variable: the resized images, (n, c, h_O, w_O).

    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    >>> F.resize_images(x, (3, 3)).array
    array([[[[0. , 0.5, 1. ],
             [1. , 1.5, 2. ],
             [2. , 2.5, 3. ]]]], dtype=float32)
    >>> F.resize_images(x, (4, 4), mode='nearest').array
    array([[[[0., 0., 1., 1.],
             [0., 0., 1., 1.],
             [2., 2., 3., 3.],
             [2., 2., 3., 3.]]]], dtype=float32)
    """
    if mode not in ('bilinear', 'nearest'):
        raise ValueError(f"resize_images: mode must be 'bilinear' or 'nearest', got {mode!r}")
    try:
        out_h, out_w = (operator.index(s) for s in output_shape)
    except (TypeError, ValueError):
        raise TypeError('resize_images: output_shape must be a tuple of two ints, '
                        f'got {output_shape!r}') from None
    if out_h < 1 or out_w < 1:
        raise ValueError(f'resize_images: output_shape must be positive, got {output_shape!r}')
    if len(x.shape) != 4:
        raise ValueError(f'resize_images: x must be 4-d (n, c, h, w), got shape {x.shape}')
    h, w = x.shape[2:]
    rows = interpolation_matrix(out_h, h, mode, align_corners)
    cols = interpolation_matrix(out_w, w, mode, align_corners)
    return _Separable2D(rows, cols, 'ResizeImages').apply((x,))[0]
