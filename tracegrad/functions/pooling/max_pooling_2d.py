"""Max pooling (``max_pooling_2d``): the ``N = 2`` case of :func:`max_pooling_nd`."""
from __future__ import annotations

from tracegrad.functions.pooling.max_pooling_nd import MaxPoolingND, max_pool

__all__ = ['max_pooling_2d']


class MaxPooling2D(MaxPoolingND):
    """:class:`MaxPoolingND` with two spatial axes (named for its error messages)."""


def max_pooling_2d(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """Spatial max pooling over the last two axes of ``x``.

    Args:
        x (Variable or array): float input of shape ``(n, c, h, w)``.
        ksize (int or pair of ints): window size.
        stride (int, pair of ints or None): window stride; None means ``ksize``.
        pad (int or pair of ints): padding on each side; padded cells never win.
        cover_all (bool): if True (the default), windows cover every input
            cell, so the output may be one larger than without.
        return_indices (bool): if True, also return the position of each
            window's maximum (a flat index into the ``kh x kw`` window, the
            first one on ties) as an integer array on ``x``'s device.

    Returns:
        ~tracegrad.Variable or tuple: the pooled output ``(n, c, out_h, out_w)``,
        or ``(output, indexes)`` when ``return_indices`` is True.

    >>> x = np.arange(1, 37).reshape(1, 1, 6, 6).astype(np.float32)
    >>> pooled_x, indexes = F.max_pooling_2d(x, ksize=2, stride=2, return_indices=True)
    >>> pooled_x.array
    array([[[[ 8., 10., 12.],
             [20., 22., 24.],
             [32., 34., 36.]]]], dtype=float32)
    >>> indexes
    array([[[[3, 3, 3],
             [3, 3, 3],
             [3, 3, 3]]]])
    """
    name = 'max_pooling_2d'
    if len(x.shape) != 4:
        raise ValueError(f'{name}: x must have 4 axes (n, c, h, w), got shape {tuple(x.shape)}')
    return max_pool(MaxPooling2D, name, 2, x, ksize, stride, pad, cover_all, return_indices)
