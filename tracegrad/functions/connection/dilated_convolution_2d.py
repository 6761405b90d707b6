"""``dilated_convolution_2d``: :func:`convolution_2d` with Chainer's older argument order."""
from __future__ import annotations

from tracegrad.functions.connection.convolution_2d import Convolution2DFunction
from tracegrad.functions.connection.convolution_nd import _apply, make_convolution
from tracegrad.variable import Variable

__all__ = ['dilated_convolution_2d']


def dilated_convolution_2d(x, W, b=None, stride=1, pad=0, dilate=1,
                           cover_all=False) -> Variable:
    """Two-dimensional convolution whose filter taps are ``dilate`` cells apart.

    The same as ``convolution_2d(x, W, b, stride, pad, cover_all, dilate=dilate)``;
    the output size along an axis is
    ``(size + 2 * pad - ((k - 1) * dilate + 1)) // stride + 1``.

    Args:
        x (Variable or array): input of shape ``(n, c_I, h, w)``.
        W (Variable or array): filters of shape ``(c_O, c_I, k_H, k_W)``.
        b (Variable or array): optional bias of shape ``(c_O,)``.
        stride (int or pair of ints): stride of the filter applications.
        pad (int or pair of ints): zero padding added to each side of ``x``.
        dilate (int or pair of ints): spacing between the filter taps.
        cover_all (bool): if True, every input cell is covered by some window.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_O, h_O, w_O)``.
    """
    node = make_convolution(Convolution2DFunction, 'dilated_convolution_2d', 2, stride, pad,
                            cover_all, dilate, 1)
    return _apply(node, x, W, b)
