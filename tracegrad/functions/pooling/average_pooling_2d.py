"""Average pooling (``average_pooling_2d``): the mean of each window."""
from __future__ import annotations

from tracegrad.functions.pooling.windows import Window, WindowSum, check_float_image
from tracegrad.variable import Variable

__all__ = ['average_pooling_2d']


class AveragePooling2D(WindowSum):
    """Window sums divided by the window size (padded cells count as zeros)."""

    def check_type_forward(self, in_types):
        check_float_image(in_types)


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
    window = Window.from_args('average_pooling_2d', ksize, stride, pad, False)
    return AveragePooling2D(window, window.kh * window.kw).apply((x,))[0]
