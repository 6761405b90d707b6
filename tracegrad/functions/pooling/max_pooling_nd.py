"""N-dimensional max pooling (``max_pooling_nd``, ``max_pooling_1d``, ``max_pooling_3d``)."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import spatial_ndim
from tracegrad.functions.pooling.windows import ScatterToWindows, Window, check_float_image

__all__ = ['max_pooling_1d', 'max_pooling_3d', 'max_pooling_nd']


class MaxPoolingND(FunctionNode):
    """Max over each window (``-inf`` padding); remembers each window's argmax."""

    def __init__(self, window: Window):
        self.window = window

    def check_type_forward(self, in_types):
        check_float_image(in_types, ndim=len(self.window.ksize))

    def forward(self, inputs):
        x, = inputs
        self.in_size = x.shape[2:]
        col = self.window.columns(x, pad_value=-float('inf'))
        # argmax picks the first of equal values, so ties send the gradient to one cell.
        self.indexes = col.argmax(axis=2)
        return col.max(axis=2),

    def backward(self, indexes, grad_outputs):
        scatter = ScatterToWindows(self.window, self.in_size)
        return scatter.apply((grad_outputs[0], self.indexes))[0],


def max_pool(node_class, func: str, ndim: int, x, ksize, stride, pad, cover_all,
             return_indices):
    """Validate the arguments of a public max pooling and apply it."""
    window = Window.from_args(func, ndim, ksize, stride, pad, cover_all)
    window.check_out_size(func, x.shape[2:])
    node = node_class(window)
    y = node.apply((x,))[0]
    if return_indices:
        return y, node.indexes
    return y


def max_pooling_nd(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """Spatial max pooling over every axis of ``x`` after the first two.

    Args:
        x (Variable or array): float input of shape ``(n, c, d_1, ..., d_N)``.
        ksize (int or tuple of N ints): window size.
        stride (int, tuple of N ints or None): window stride; None means ``ksize``.
        pad (int or tuple of N ints): padding on each side; padded cells never win.
        cover_all (bool): if True (the default), windows cover every input
            cell, so the output may be one larger than without.
        return_indices (bool): if True, also return the position of each
            window's maximum (a flat index into the ``k_1 x ... x k_N`` window,
            the first one on ties) as an integer array on ``x``'s device.

    Returns:
        ~tracegrad.Variable or tuple: the pooled output ``(n, c, l_1, ..., l_N)``,
        or ``(output, indexes)`` when ``return_indices`` is True.
    """
    func = 'max_pooling_nd'
    return max_pool(MaxPoolingND, func, spatial_ndim(x, func), x, ksize, stride, pad,
                    cover_all, return_indices)


def max_pooling_1d(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """:func:`max_pooling_nd` of an ``(n, c, d)`` input."""
    func = 'max_pooling_1d'
    return max_pool(MaxPoolingND, func, spatial_ndim(x, func, 1), x, ksize, stride, pad,
                    cover_all, return_indices)


def max_pooling_3d(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """:func:`max_pooling_nd` of an ``(n, c, d_1, d_2, d_3)`` input."""
    func = 'max_pooling_3d'
    return max_pool(MaxPoolingND, func, spatial_ndim(x, func, 3), x, ksize, stride, pad,
                    cover_all, return_indices)
