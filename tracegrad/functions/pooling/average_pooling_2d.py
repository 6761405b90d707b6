"""Average pooling (``average_pooling_2d``): the ``N = 2`` case of :func:`average_pooling_nd`."""
from __future__ import annotations

from tracegrad.functions.pooling.average_pooling_nd import AveragePoolingND, average_pool
from tracegrad.variable import Variable

__all__ = ['average_pooling_2d']


class AveragePooling2D(AveragePoolingND):
    """:class:`AveragePoolingND` with two spatial axes (named for its error messages)."""


def average_pooling_2d(x, ksize, stride=None, pad=0) -> Variable:
    """Spatial average pooling over the last two axes of ``x``.

    Each output is the sum of its window divided by ``kh * kw``: padded cells
    count as zeros, so windows that overlap the padding average toward zero.
    Windows never hang over the padding (no ``cover_all``).

    Args:
        x (Variable or array): float input of shape ``(n, c, h, w)``.
        ksize (int or pair of ints): window size.
        stride (int, pair of ints or None): window stride; None means ``ksize``.
        pad (int or pair of ints): zero padding on each side.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c, out_h, out_w)``.

    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> F.average_pooling_2d(x, 2).array
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]], dtype=float32)
    """
    return average_pool(AveragePooling2D, 'average_pooling_2d', 2, x, ksize, stride, pad, 0)
