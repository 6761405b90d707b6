"""N-dimensional deconvolution (transposed convolution: ``deconvolution_nd``, ``_1d``, ``_3d``).

Its forward is the data gradient of a convolution: one batched GEMM per group
gives the windows, and ``col2im_nd`` sums them into the output image.
``deconvolution_2d`` is the ``N = 2`` case.
"""
from __future__ import annotations

import math

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.convolution_nd import (
    ConvolutionND,
    ConvolutionNDGradW,
    SumChannels,
    _apply,
    add_channel_bias,
    check_groups,
    check_positive_outsize,
)
from tracegrad.functions.connection.im2col import (
    col2im_nd,
    get_conv_outsize,
    get_deconv_outsize,
    nonnegative_tuple,
    positive_tuple,
    spatial_ndim,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['deconvolution_1d', 'deconvolution_3d', 'deconvolution_nd']


class DeconvolutionND(FunctionNode):
    """The transpose of :class:`ConvolutionND`; ``outsize`` may be None.

    The number of spatial axes is ``len(stride)``; ``func`` names the public
    function in error messages.
    """

    func = 'deconvolution_nd'

    def __init__(self, stride: tuple, pad: tuple, outsize, dilate: tuple, groups: int):
        self.stride = stride
        self.pad = pad
        self.outsize = None if outsize is None else tuple(outsize)
        self.dilate = dilate
        self.groups = groups

    def check_type_forward(self, in_types):
        n_in = len(in_types)
        type_check._argname(in_types, ('x', 'W', 'b')[:n_in])
        x, W = in_types[0], in_types[1]
        ndim = len(self.stride)
        type_check.expect(
            x.dtype.kind == 'f',
            W.dtype == x.dtype,
            x.ndim == ndim + 2,
            W.ndim == ndim + 2,
            x.shape[1] == W.shape[0],
            W.shape[0] % self.groups == 0,
        )
        if self.outsize is not None:
            for axis in range(2, ndim + 2):
                k = W.shape[axis].eval()
                out, s, p, d = (v[axis - 2] for v in (self.outsize, self.stride, self.pad,
                                                      self.dilate))
                type_check.expect(get_conv_outsize(out, k, s, p, False, d) <= x.shape[axis],
                                  x.shape[axis] <= get_conv_outsize(out, k, s, p, True, d))
        if n_in == 3:
            b = in_types[2]
            type_check.expect(b.dtype == x.dtype, b.ndim == 1,
                              b.shape[0] == W.shape[1] * self.groups)

    def _out_size(self, x_shape, w_shape) -> tuple:
        if self.outsize is not None:
            return self.outsize
        size = tuple(get_deconv_outsize(x_shape[a], w_shape[a], self.stride[a - 2],
                                        self.pad[a - 2], False, self.dilate[a - 2])
                     for a in range(2, len(x_shape)))
        check_positive_outsize(self.func, size)
        return size

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[0], inputs[1]
        xp = get_array_module(x, W)
        groups = self.groups
        n, c_in = x.shape[:2]
        size_in = x.shape[2:]
        c_out_g = W.shape[1]
        ksize = W.shape[2:]
        out_size = self._out_size(x.shape, W.shape)
        W = W.reshape(groups, c_in // groups, c_out_g * math.prod(ksize)).transpose(0, 2, 1)
        x = x.reshape(n, groups, c_in // groups, math.prod(size_in))
        if groups > 1:  # equal batch axes on both sides: one batched GEMM over (n, groups)
            W = xp.broadcast_to(W, (n,) + W.shape)
        col = xp.matmul(W, x)  # (n, groups, c_out_g * kernel cells, input pixels)
        col = col.reshape((n, groups * c_out_g) + tuple(ksize) + tuple(size_in))
        y = col2im_nd(col, self.stride, self.pad, out_size, self.dilate)
        if len(inputs) == 3:
            y = add_channel_bias(y, inputs[2])
        return y,

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ksize = W.shape[2:]
        # The convolution that maps gy back to x's size may need cover_all.
        cover_all = any(
            size != get_conv_outsize(out, k, s, p, False, d)
            for size, out, k, s, p, d in zip(x.shape[2:], gy.shape[2:], ksize, self.stride,
                                             self.pad, self.dilate))
        ret = []
        for i in indexes:
            if i == 0:
                conv = ConvolutionND(self.stride, self.pad, cover_all, self.dilate, self.groups)
                ret.append(conv.apply((gy, W))[0])
            elif i == 1:
                grad_w = ConvolutionNDGradW(ksize, self.stride, self.pad, cover_all,
                                            self.dilate, self.groups)
                ret.append(grad_w.apply((gy, x))[0])
            else:
                ret.append(SumChannels().apply((gy,))[0])
        return tuple(ret)


def make_deconvolution(node_class, func: str, ndim: int, stride, pad, outsize, dilate,
                       groups) -> FunctionNode:
    """Validate the arguments of a public deconvolution and build its node."""
    if outsize is not None:
        outsize = positive_tuple(outsize, ndim, func, 'outsize')
    node = node_class(positive_tuple(stride, ndim, func, 'stride'),
                      nonnegative_tuple(pad, ndim, func, 'pad'), outsize,
                      positive_tuple(dilate, ndim, func, 'dilate'), check_groups(groups, func))
    node.func = func
    return node


def deconvolution_nd(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1,
                     groups=1) -> Variable:
    """N-dimensional deconvolution, also called transposed convolution.

    Each input cell ``x[n, c, i_1, ..., i_N]`` spreads ``x[n, c, i_1, ...] * W[c, o]``
    into the output window that starts at ``i_a * stride_a - pad_a`` along
    each axis; overlapping windows add up. It is the gradient of
    :func:`convolution_nd` with respect to its input. The default output
    length along an axis is ``stride * (size - 1) + (k - 1) * dilate + 1 - 2 * pad``.

    Args:
        x (Variable or array): input of shape ``(n, c_I, d_1, ..., d_N)``.
        W (Variable or array): filters of shape ``(c_I, c_O / groups, k_1, ..., k_N)``.
        b (Variable or array): optional bias of shape ``(c_O,)``.
        stride (int or tuple of N ints): stride of the filter applications.
        pad (int or tuple of N ints): padding cropped from each side of the output.
        outsize (None or tuple of N ints): the output's spatial size; it must
            be a size that a convolution with these parameters maps to ``x``'s
            size (useful when several sizes do, with ``stride > 1``).
        dilate (int or tuple of N ints): spacing between the filter taps.
        groups (int): number of channel groups; ``c_I`` must be divisible by it.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_O, l_1, ..., l_N)``.

    >>> n = 10
    >>> c_i, c_o = 3, 1
    >>> d1, d2, d3 = 5, 10, 15
    >>> k1, k2, k3 = 10, 10, 10
    >>> p1, p2, p3 = 5, 5, 5
    >>> x = np.random.uniform(0, 1, (n, c_i, d1, d2, d3)).astype(np.float32)
    >>> x.shape
    (10, 3, 5, 10, 15)
    >>> W = np.random.uniform(0, 1, (c_i, c_o, k1, k2, k3)).astype(np.float32)
    >>> W.shape
    (3, 1, 10, 10, 10)
    >>> b = np.random.uniform(0, 1, (c_o)).astype(np.float32)
    >>> b.shape
    (1,)
    >>> s1, s2, s3 = 2, 4, 6
    >>> y = F.deconvolution_nd(x, W, b, stride=(s1, s2, s3), pad=(p1, p2, p3))
    >>> y.shape
    (10, 1, 8, 36, 84)
    >>> l1 = s1 * (d1 - 1) + k1 - 2 * p1
    >>> l2 = s2 * (d2 - 1) + k2 - 2 * p2
    >>> l3 = s3 * (d3 - 1) + k3 - 2 * p3
    >>> y.shape == (n, c_o, l1, l2, l3)
    True

    With ``outsize`` (here each output length is one that a convolution with
    these parameters maps back to the input's length):

    >>> l1, l2, l3 = 9, 38, 87
    >>> d1 == int((l1 + 2 * p1 - k1) / s1) + 1
    True
    >>> d2 == int((l2 + 2 * p2 - k2) / s2) + 1
    True
    >>> d3 == int((l3 + 2 * p3 - k3) / s3) + 1
    True
    >>> y = F.deconvolution_nd(x, W, b, stride=(s1, s2, s3), pad=(p1, p2, p3),
    ...                        outsize=(l1, l2, l3))
    >>> y.shape
    (10, 1, 9, 38, 87)
    >>> y.shape == (n, c_o, l1, l2, l3)
    True
    """
    func = 'deconvolution_nd'
    ndim = spatial_ndim(x, func)
    node = make_deconvolution(DeconvolutionND, func, ndim, stride, pad, outsize, dilate, groups)
    return _apply(node, x, W, b)


def deconvolution_1d(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1,
                     groups=1) -> Variable:
    """:func:`deconvolution_nd` of an ``(n, c_I, d)`` input with ``(c_I, c_O / groups, k)``
    filters."""
    func = 'deconvolution_1d'
    node = make_deconvolution(DeconvolutionND, func, spatial_ndim(x, func, 1), stride, pad,
                              outsize, dilate, groups)
    return _apply(node, x, W, b)


def deconvolution_3d(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1,
                     groups=1) -> Variable:
    """:func:`deconvolution_nd` of an ``(n, c_I, d_1, d_2, d_3)`` input with
    ``(c_I, c_O / groups, k_1, k_2, k_3)`` filters."""
    func = 'deconvolution_3d'
    node = make_deconvolution(DeconvolutionND, func, spatial_ndim(x, func, 3), stride, pad,
                              outsize, dilate, groups)
    return _apply(node, x, W, b)
