"""N-dimensional unpooling (``unpooling_nd``, ``_1d``, ``_3d``): each value fills its window."""
from __future__ import annotations

from tracegrad.functions.connection.im2col import positive_tuple, spatial_ndim
from tracegrad.functions.pooling.windows import Window, WindowSpread, check_float_image
from tracegrad.variable import Variable

__all__ = ['unpooling_1d', 'unpooling_3d', 'unpooling_nd']


class UnpoolingND(WindowSpread):
    """Each value added to all cells of its window; overlaps sum."""

    def check_type_forward(self, in_types):
        check_float_image(in_types, ndim=len(self.window.ksize))
        self.window.check_unpooled_size(in_types[0], self.size)


def unpool(node_class, func: str, ndim: int, x, ksize, stride, pad, outsize,
           cover_all) -> Variable:
    """Validate the arguments of a public unpooling and apply it."""
    window = Window.from_args(func, ndim, ksize, stride, pad, cover_all)
    size = None if outsize is None else positive_tuple(outsize, ndim, func, 'outsize')
    return node_class(window, size).apply((x,))[0]


def unpooling_nd(x, ksize, stride=None, pad=0, outsize=None, cover_all=True) -> Variable:
    """Inverse of pooling over N spatial axes: every value fills its whole window.

    Where windows overlap (``stride < ksize``) the values add up. The default
    output length along an axis is ``stride * (size - 1) + ksize - 2 * pad``,
    minus ``stride - 1`` when ``cover_all`` is True.

    Args:
        x (Variable or array): float input of shape ``(n, c, d_1, ..., d_N)``.
        ksize (int or tuple of N ints): window size.
        stride (int, tuple of N ints or None): window stride; None means ``ksize``.
        pad (int or tuple of N ints): padding cropped from each side of the output.
        outsize (None or tuple of N ints): the output's spatial size; pooling
            an image of that size with these parameters must give ``x``'s.
        cover_all (bool): whether the matching pooling used ``cover_all``.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c, l_1, ..., l_N)``.
    """
    func = 'unpooling_nd'
    return unpool(UnpoolingND, func, spatial_ndim(x, func), x, ksize, stride, pad, outsize,
                  cover_all)


def unpooling_1d(x, ksize, stride=None, pad=0, outsize=None, cover_all=True) -> Variable:
    """:func:`unpooling_nd` of an ``(n, c, d)`` input."""
    func = 'unpooling_1d'
    return unpool(UnpoolingND, func, spatial_ndim(x, func, 1), x, ksize, stride, pad, outsize,
                  cover_all)


def unpooling_3d(x, ksize, stride=None, pad=0, outsize=None, cover_all=True) -> Variable:
    """:func:`unpooling_nd` of an ``(n, c, d_1, d_2, d_3)`` input."""
    func = 'unpooling_3d'
    return unpool(UnpoolingND, func, spatial_ndim(x, func, 3), x, ksize, stride, pad, outsize,
                  cover_all)
