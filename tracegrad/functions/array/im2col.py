"""``im2col``: the patches of an image, laid out along the channel axis."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import (
    col2im_nd,
    im2col_nd,
    nonnegative_pair,
    positive_pair,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['im2col']


class Im2Col(FunctionNode):
    """``(n, c, h, w)`` to ``(n, c * kh * kw, out_h, out_w)`` patches."""

    def __init__(self, ksize: tuple, stride: tuple, pad: tuple, cover_all: bool,
                 dilate: tuple):
        self.ksize = ksize
        self.stride = stride
        self.pad = pad
        self.cover_all = cover_all
        self.dilate = dilate

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(x.dtype.kind == 'f', x.ndim == 4)

    def forward(self, inputs):
        x, = inputs
        self.in_size = x.shape[2:]
        col = im2col_nd(x, self.ksize, self.stride, self.pad, self.cover_all, self.dilate)
        n, c, kh, kw, out_h, out_w = col.shape
        return col.reshape(n, c * kh * kw, out_h, out_w),

    def backward(self, indexes, grad_outputs):
        return Col2Im(self.ksize, self.stride, self.pad, self.cover_all, self.dilate,
                      self.in_size).apply(grad_outputs)


class Col2Im(FunctionNode):
    """The gradient of :class:`Im2Col`: patches summed back into an ``in_size`` image."""

    def __init__(self, ksize: tuple, stride: tuple, pad: tuple, cover_all: bool,
                 dilate: tuple, in_size: tuple):
        self.ksize = ksize
        self.stride = stride
        self.pad = pad
        self.cover_all = cover_all
        self.dilate = dilate
        self.in_size = in_size

    def forward(self, inputs):
        gy, = inputs
        n, ckk, out_h, out_w = gy.shape
        kh, kw = self.ksize
        col = gy.reshape(n, ckk // (kh * kw), kh, kw, out_h, out_w)
        return col2im_nd(col, self.stride, self.pad, self.in_size, self.dilate),

    def backward(self, indexes, grad_outputs):
        return Im2Col(self.ksize, self.stride, self.pad, self.cover_all,
                      self.dilate).apply(grad_outputs)


def im2col(x, ksize, stride=1, pad=0, cover_all=False, dilate=1) -> Variable:
    """Patches of an image, one per filter position, stacked along the channel axis.

    Output cell ``y[n, (c * kh + i) * kw + j, p, q]`` is the input cell
    ``x[n, c, p * sy + i * dy - ph, q * sx + j * dx - pw]`` (zero outside ``x``):
    a convolution is a matrix product of this array with the flattened filters.
    The output size is that of :func:`convolution_2d` with the same arguments.

    Args:
        x (Variable or array): float input of shape ``(n, c, h, w)``.
        ksize (int or pair of ints): patch (filter) size ``(kh, kw)``.
        stride (int or pair of ints): step between patches.
        pad (int or pair of ints): zero padding on each side of ``x``.
        cover_all (bool): if True, every input cell is in some patch (the
            output may grow by one).
        dilate (int or pair of ints): spacing between the cells of a patch.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c * kh * kw, out_h, out_w)``.

    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> F.im2col(x, 2, stride=2).array[0, :, 0, 0]
    array([0., 1., 4., 5.], dtype=float32)
    """
    func = 'im2col'
    node = Im2Col(positive_pair(ksize, func, 'ksize'), positive_pair(stride, func, 'stride'),
                  nonnegative_pair(pad, func, 'pad'), bool(cover_all),
                  positive_pair(dilate, func, 'dilate'))
    return node.apply((x,))[0]
