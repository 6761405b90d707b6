"""Unpooling (``unpooling_2d``): the ``N = 2`` case of :func:`unpooling_nd`."""
from __future__ import annotations

from tracegrad.functions.pooling.unpooling_nd import UnpoolingND, unpool
from tracegrad.variable import Variable

__all__ = ['unpooling_2d']


class Unpooling2D(UnpoolingND):
    """:class:`UnpoolingND` with two spatial axes (named for its error messages)."""


def unpooling_2d(x, ksize, stride=None, pad=0, outsize=None, cover_all=True) -> Variable:
    """Inverse of pooling: every input value fills its whole window of the output.

    Where windows overlap (``stride < ksize``) the values add up. The default
    output size along an axis is ``stride * (size - 1) + ksize - 2 * pad``,
    minus ``stride - 1`` when ``cover_all`` is True.

    Args:
        x (Variable or array): float input of shape ``(n, c, h, w)``.
        ksize (int or pair of ints): window size.
        stride (int, pair of ints or None): window stride; None means ``ksize``.
        pad (int or pair of ints): padding cropped from each side of the output.
        outsize (None or pair of ints): the output's ``(h_O, w_O)``; pooling an
            image of that size with these parameters must give ``(h, w)``.
        cover_all (bool): whether the matching pooling used ``cover_all``.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c, h_O, w_O)``.

    >>> x = np.array([[[[1., 2.], [3., 4.]]]], np.float32)
    >>> F.unpooling_2d(x, 2, cover_all=False).array
    array([[[[1., 1., 2., 2.],
             [1., 1., 2., 2.],
             [3., 3., 4., 4.],
             [3., 3., 4., 4.]]]], dtype=float32)
    """
    return unpool(Unpooling2D, 'unpooling_2d', 2, x, ksize, stride, pad, outsize, cover_all)
