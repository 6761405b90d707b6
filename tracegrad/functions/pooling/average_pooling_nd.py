"""N-dimensional average pooling (``average_pooling_nd``, ``_1d``, ``_3d``)."""
from __future__ import annotations

from tracegrad.functions.connection.im2col import spatial_ndim
from tracegrad.functions.pooling.windows import Window, WindowSum, check_float_image
from tracegrad.variable import Variable

__all__ = ['average_pooling_1d', 'average_pooling_3d', 'average_pooling_nd']


class AveragePoolingND(WindowSum):
    """Window sums divided by the window size, or by the cells inside the image."""

    def check_type_forward(self, in_types):
        check_float_image(in_types, ndim=len(self.window.ksize))


def average_pool(node_class, func: str, ndim: int, x, ksize, stride, pad,
                 pad_value) -> Variable:
    """Validate the arguments of a public average pooling and apply it."""
    if pad_value is not None and (isinstance(pad_value, bool) or pad_value != 0):
        raise ValueError(f'{func}: pad_value must be 0 or None, got {pad_value!r}')
    window = Window.from_args(func, ndim, ksize, stride, pad, False)
    window.check_out_size(func, x.shape[2:])
    divisor = None if pad_value is None else window.cells
    return node_class(window, divisor).apply((x,))[0]


def average_pooling_nd(x, ksize, stride=None, pad=0, pad_value=0) -> Variable:
    """Spatial average pooling over every axis of ``x`` after the first two.

    Windows never hang over the padding (no ``cover_all``).

    Args:
        x (Variable or array): float input of shape ``(n, c, d_1, ..., d_N)``.
        ksize (int or tuple of N ints): window size.
        stride (int, tuple of N ints or None): window stride; None means ``ksize``.
        pad (int or tuple of N ints): padding on each side.
        pad_value (0 or None): with 0, padded cells count as zeros and every
            window is divided by its full size (windows over the padding
            average toward zero); with None, padded cells are left out and
            each window is divided by the number of its cells inside ``x``.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c, l_1, ..., l_N)``.
    """
    func = 'average_pooling_nd'
    return average_pool(AveragePoolingND, func, spatial_ndim(x, func), x, ksize, stride, pad,
                        pad_value)


def average_pooling_1d(x, ksize, stride=None, pad=0, pad_value=0) -> Variable:
    """:func:`average_pooling_nd` of an ``(n, c, d)`` input."""
    func = 'average_pooling_1d'
    return average_pool(AveragePoolingND, func, spatial_ndim(x, func, 1), x, ksize, stride,
                        pad, pad_value)


def average_pooling_3d(x, ksize, stride=None, pad=0, pad_value=0) -> Variable:
    """:func:`average_pooling_nd` of an ``(n, c, d_1, d_2, d_3)`` input."""
    func = 'average_pooling_3d'
    return average_pool(AveragePoolingND, func, spatial_ndim(x, func, 3), x, ksize, stride,
                        pad, pad_value)
