"""Upsampling (``upsampling_2d``): put each value back where max pooling found it."""
from __future__ import annotations

from tracegrad.functions.connection.im2col import positive_pair
from tracegrad.functions.pooling.windows import ScatterToWindows, Window, check_float_image
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['upsampling_2d']


class Upsampling2D(ScatterToWindows):
    """Each value placed at its window's indexed cell; the rest is zero."""

    def check_type_forward(self, in_types):
        check_float_image(in_types, ('x', 'indexes'))
        x, indexes = in_types
        type_check.expect(indexes.dtype.kind == 'i', indexes.shape == x.shape)
        self.window.check_unpooled_size(x, self.size)


def upsampling_2d(x, indexes, ksize, stride=None, pad=0, outsize=None,
                  cover_all=True) -> Variable:
    """Inverse of max pooling with the indices it returned.

    Each value of ``x`` goes to the cell of its window that ``indexes`` names
    (as returned by ``max_pooling_2d(..., return_indices=True)``); all other
    cells are zero, and values that land on one cell add up.

    Args:
        x (Variable or array): float input of shape ``(n, c, h, w)``.
        indexes (array): integer array of ``x``'s shape, each a flat index
            into the ``kh x kw`` window.
        ksize (int or pair of ints): window size.
        stride (int, pair of ints or None): window stride; None means ``ksize``.
        pad (int or pair of ints): padding cropped from each side of the output.
        outsize (None or pair of ints): the output's ``(h_O, w_O)``; pooling an
            image of that size with these parameters must give ``(h, w)``.
        cover_all (bool): whether the max pooling used ``cover_all``.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c, h_O, w_O)``.

    >>> x = np.arange(1, 37).reshape(1, 1, 6, 6).astype(np.float32)
    >>> x = chainer.Variable(x)
    >>> x.array
    array([[[[ 1.,  2.,  3.,  4.,  5.,  6.],
             [ 7.,  8.,  9., 10., 11., 12.],
             [13., 14., 15., 16., 17., 18.],
             [19., 20., 21., 22., 23., 24.],
             [25., 26., 27., 28., 29., 30.],
             [31., 32., 33., 34., 35., 36.]]]], dtype=float32)
    >>> pooled_x, indexes = F.max_pooling_2d(
    ...     x, ksize=2, stride=2, return_indices=True)
    >>> pooled_x.array
    array([[[[ 8., 10., 12.],
             [20., 22., 24.],
             [32., 34., 36.]]]], dtype=float32)
    >>> indexes
    array([[[[3, 3, 3],
             [3, 3, 3],
             [3, 3, 3]]]])
    >>> upsampled_x = F.upsampling_2d(
    ...     pooled_x, indexes, ksize=2, stride=2, outsize=x.shape[2:])
    >>> upsampled_x.shape
    (1, 1, 6, 6)
    >>> upsampled_x.array
    array([[[[ 0.,  0.,  0.,  0.,  0.,  0.],
             [ 0.,  8.,  0., 10.,  0., 12.],
             [ 0.,  0.,  0.,  0.,  0.,  0.],
             [ 0., 20.,  0., 22.,  0., 24.],
             [ 0.,  0.,  0.,  0.,  0.,  0.],
             [ 0., 32.,  0., 34.,  0., 36.]]]], dtype=float32)
    """
    name = 'upsampling_2d'
    window = Window.from_args(name, 2, ksize, stride, pad, cover_all)
    size = None if outsize is None else positive_pair(outsize, name, 'outsize')
    if isinstance(indexes, Variable):
        indexes = indexes.array
    return Upsampling2D(window, size).apply((x, indexes))[0]
