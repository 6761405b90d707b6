"""2-D deconvolution (``deconvolution_2d``): the ``N = 2`` case of :func:`deconvolution_nd`."""
from __future__ import annotations

from tracegrad.functions.connection.convolution_nd import _apply
from tracegrad.functions.connection.deconvolution_nd import DeconvolutionND, make_deconvolution
from tracegrad.variable import Variable

__all__ = ['deconvolution_2d']


class Deconvolution2DFunction(DeconvolutionND):
    """:class:`DeconvolutionND` with two spatial axes (named for its error messages)."""

    func = 'deconvolution_2d'


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None, *, dilate=1,
                     groups=1) -> Variable:
    """Two-dimensional deconvolution, also called transposed convolution.

    Each input cell ``x[n, c, i, j]`` spreads ``x[n, c, i, j] * W[c, o]`` into
    the output window at ``(i * sy - ph, j * sx - pw)``; overlapping windows
    add up. It is the gradient of :func:`convolution_2d` with respect to its
    input. The default output size along an axis is
    ``stride * (size - 1) + (k - 1) * dilate + 1 - 2 * pad``.

    Args:
        x (Variable or array): input of shape ``(n, c_I, h_I, w_I)``.
        W (Variable or array): filters of shape ``(c_I, c_O / groups, h_K, w_K)``.
        b (Variable or array): optional bias of shape ``(c_O,)``.
        stride (int or pair of ints): stride of the filter applications.
        pad (int or pair of ints): padding cropped from each side of the output.
        outsize (None or pair of ints): the output's ``(h_O, w_O)``; it must be
            a size that a convolution with these parameters maps to ``x``'s
            size (useful when several sizes do, with ``stride > 1``).
        dilate (int or pair of ints): spacing between the filter taps.
        groups (int): number of channel groups; ``c_I`` must be divisible by it.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_O, h_O, w_O)``.

    >>> n = 10
    >>> c_i, c_o = 1, 3
    >>> h_i, w_i = 5, 10
    >>> h_k, w_k = 10, 10
    >>> h_p, w_p = 5, 5
    >>> x = np.random.uniform(0, 1, (n, c_i, h_i, w_i)).astype(np.float32)
    >>> x.shape
    (10, 1, 5, 10)
    >>> W = np.random.uniform(0, 1, (c_i, c_o, h_k, w_k)).astype(np.float32)
    >>> W.shape
    (1, 3, 10, 10)
    >>> b = np.random.uniform(0, 1, c_o).astype(np.float32)
    >>> b.shape
    (3,)
    >>> s_y, s_x = 5, 5
    >>> y = F.deconvolution_2d(x, W, b, stride=(s_y, s_x), pad=(h_p, w_p))
    >>> y.shape
    (10, 3, 20, 45)
    >>> h_o = s_y * (h_i - 1) + h_k - 2 * h_p
    >>> w_o = s_x * (w_i - 1) + w_k - 2 * w_p
    >>> y.shape == (n, c_o, h_o, w_o)
    True
    """
    node = make_deconvolution(Deconvolution2DFunction, 'deconvolution_2d', 2, stride, pad,
                              outsize, dilate, groups)
    return _apply(node, x, W, b)
