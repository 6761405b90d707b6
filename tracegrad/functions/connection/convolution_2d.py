"""2-D convolution (``convolution_2d``): the ``N = 2`` case of :func:`convolution_nd`."""
from __future__ import annotations

from tracegrad.functions.connection.convolution_nd import (
    ConvolutionND,
    _apply,
    make_convolution,
)
from tracegrad.variable import Variable

__all__ = ['convolution_2d']


class Convolution2DFunction(ConvolutionND):
    """:class:`ConvolutionND` with two spatial axes (named for its error messages)."""

    func = 'convolution_2d'


def convolution_2d(x, W, b=None, stride=1, pad=0, cover_all=False, *, dilate=1,
                   groups=1) -> Variable:
    """Two-dimensional convolution (cross-correlation, as in Chainer).

    ``y[n, o, i, j] = b[o] + sum_{c, p, q} W[o, c, p, q] *
    x[n, c, i * sy + p * dy - ph, j * sx + q * dx - pw]``, with cells outside
    ``x`` reading zero. The output size along an axis is
    ``(size + 2 * pad - ((k - 1) * dilate + 1)) // stride + 1`` (with
    ``stride - 1`` added to the numerator when ``cover_all`` is True).

    Args:
        x (Variable or array): input of shape ``(n, c_I, h_I, w_I)``.
        W (Variable or array): filters of shape ``(c_O, c_I / groups, h_K, w_K)``.
        b (Variable or array): optional bias of shape ``(c_O,)``.
        stride (int or pair of ints): stride of the filter applications.
        pad (int or pair of ints): zero padding added to each side of ``x``.
        cover_all (bool): if True, every input cell is covered by some window
            (the output may grow by one).
        dilate (int or pair of ints): spacing between the filter taps.
        groups (int): number of channel groups; ``c_I`` and ``c_O`` must be
            divisible by it, and each group of outputs sees only its group
            of inputs.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_O, h_O, w_O)``.

    >>> n = 10
    >>> c_i, c_o = 3, 1
    >>> h_i, w_i = 30, 40
    >>> h_k, w_k = 10, 10
    >>> h_p, w_p = 5, 5
    >>> x = np.random.uniform(0, 1, (n, c_i, h_i, w_i)).astype(np.float32)
    >>> x.shape
    (10, 3, 30, 40)
    >>> W = np.random.uniform(0, 1, (c_o, c_i, h_k, w_k)).astype(np.float32)
    >>> W.shape
    (1, 3, 10, 10)
    >>> b = np.random.uniform(0, 1, (c_o,)).astype(np.float32)
    >>> b.shape
    (1,)
    >>> s_y, s_x = 5, 7
    >>> y = F.convolution_2d(x, W, b, stride=(s_y, s_x), pad=(h_p, w_p))
    >>> y.shape
    (10, 1, 7, 6)
    >>> h_o = int((h_i + 2 * h_p - h_k) / s_y + 1)
    >>> w_o = int((w_i + 2 * w_p - w_k) / s_x + 1)
    >>> y.shape == (n, c_o, h_o, w_o)
    True
    >>> y = F.convolution_2d(x, W, b, stride=(s_y, s_x), pad=(h_p, w_p), cover_all=True)
    >>> y.shape == (n, c_o, h_o, w_o + 1)
    True
    """
    node = make_convolution(Convolution2DFunction, 'convolution_2d', 2, stride, pad, cover_all,
                            dilate, groups)
    return _apply(node, x, W, b)
