"""N-dimensional convolution (``convolution_nd``, ``convolution_1d``, ``convolution_3d``).

The input's windows are gathered by ``im2col_nd`` and multiplied with the
filters in one batched GEMM per group. The gradient with respect to ``x`` is a
deconvolution, with respect to ``W`` the node :class:`ConvolutionNDGradW`,
with respect to ``b`` a sum over all axes but the channel axis; each of these
is differentiable again. ``convolution_2d`` is the ``N = 2`` case.
"""
from __future__ import annotations

import math

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import (
    conv_outsizes,
    im2col_nd,
    nonnegative_tuple,
    positive_tuple,
    spatial_ndim,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['convolution_1d', 'convolution_3d', 'convolution_nd']


def check_positive_outsize(func: str, size: tuple) -> None:
    names = ('height', 'width') if len(size) == 2 else [f'axis {a + 2}' for a in range(len(size))]
    for name, length in zip(names, size):
        if length <= 0:
            raise RuntimeError(f'{func}: {name} in the output should be positive, got {length}')


def check_groups(groups, func: str) -> int:
    if isinstance(groups, bool) or not hasattr(groups, '__index__'):
        raise TypeError(f'{func}: groups must be an int, got {groups!r}')
    if groups < 1:
        raise ValueError(f'{func}: groups must be positive, got {groups}')
    return int(groups)


def grouped_conv(col, W, groups: int):
    """``y[n, o] = sum W[o] * col[n]`` per group as a batched GEMM.

    ``col`` is ``(n, c, k_1, ..., k_N, out_1, ..., out_N)``, ``W`` is
    ``(c_o, c / groups, k_1, ..., k_N)``; returns ``(n, c_o, out_1, ..., out_N)``.
    """
    xp = get_array_module(col, W)
    ndim = W.ndim - 2
    n, c = col.shape[:2]
    out = col.shape[2 + ndim:]
    c_o = W.shape[0]
    k = (c // groups) * math.prod(W.shape[2:])
    col = col.reshape(n, groups, k, math.prod(out))
    W = W.reshape(groups, c_o // groups, k)
    if groups > 1:  # equal batch axes on both sides: one batched GEMM over (n, groups)
        W = xp.broadcast_to(W, (n,) + W.shape)
    y = xp.matmul(W, col)  # (n, groups, c_o / groups, out pixels)
    return y.reshape((n, c_o) + tuple(out))


def grouped_conv_grad_w(col, gy, groups: int):
    """``gW[o] = sum_{n, pixels} gy[n, o] * col[n]`` per group.

    ``col`` is ``(n, c, k_1, ..., k_N, out_1, ..., out_N)``, ``gy`` is
    ``(n, c_o, out_1, ..., out_N)``; returns ``(c_o, c / groups, k_1, ..., k_N)``.
    """
    xp = get_array_module(col, gy)
    ndim = gy.ndim - 2
    n, c = col.shape[:2]
    ksize = col.shape[2:2 + ndim]
    pixels = math.prod(gy.shape[2:])
    c_o = gy.shape[1]
    k = (c // groups) * math.prod(ksize)
    # Move the batch next to the pixels so that one GEMM per group sums over both.
    col = col.reshape(n, groups, k, pixels).transpose(1, 2, 0, 3)
    col = col.reshape(groups, k, n * pixels)
    gy = gy.reshape(n, groups, c_o // groups, pixels).transpose(1, 2, 0, 3)
    gy = gy.reshape(groups, c_o // groups, n * pixels)
    gW = xp.matmul(gy, col.transpose(0, 2, 1))
    return gW.reshape((c_o, c // groups) + tuple(ksize))


def _channel_shape(ndim: int) -> tuple:
    return (1, -1) + (1,) * (ndim - 2)


class SumChannels(FunctionNode):
    """Sum an ``(n, c, d_1, ..., d_N)`` array to ``(c,)``: the bias gradient of convolutions."""

    def forward(self, inputs):
        gy, = inputs
        self.shape = gy.shape
        return gy.sum(axis=(0,) + tuple(range(2, gy.ndim))),

    def backward(self, indexes, grad_outputs):
        return BroadcastChannels(self.shape).apply(grad_outputs)


class BroadcastChannels(FunctionNode):
    """Broadcast a ``(c,)`` array to ``shape`` ``(n, c, d_1, ...)`` along the channel axis."""

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, inputs):
        b, = inputs
        xp = get_array_module(b)
        return xp.broadcast_to(b.reshape(_channel_shape(len(self.shape))), self.shape),

    def backward(self, indexes, grad_outputs):
        return SumChannels().apply(grad_outputs)


def add_channel_bias(y, b):
    return y + b.reshape(_channel_shape(y.ndim))


class ConvolutionND(FunctionNode):
    """``y = W * x + b``; parameters as in :func:`convolution_nd`, already validated.

    The number of spatial axes is ``len(stride)``; ``func`` names the public
    function in error messages.
    """

    func = 'convolution_nd'

    def __init__(self, stride: tuple, pad: tuple, cover_all: bool, dilate: tuple, groups: int):
        self.stride = stride
        self.pad = pad
        self.cover_all = cover_all
        self.dilate = dilate
        self.groups = groups

    def check_type_forward(self, in_types):
        n_in = len(in_types)
        type_check._argname(in_types, ('x', 'W', 'b')[:n_in])
        x, W = in_types[0], in_types[1]
        ndim = len(self.stride) + 2
        type_check.expect(
            x.dtype.kind == 'f',
            W.dtype == x.dtype,
            x.ndim == ndim,
            W.ndim == ndim,
            x.shape[1] == W.shape[1] * self.groups,
            W.shape[0] % self.groups == 0,
        )
        if n_in == 3:
            b = in_types[2]
            type_check.expect(b.dtype == x.dtype, b.ndim == 1, b.shape[0] == W.shape[0])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[0], inputs[1]
        ksize = W.shape[2:]
        check_positive_outsize(self.func, conv_outsizes(
            x.shape[2:], ksize, self.stride, self.pad, self.cover_all, self.dilate))
        col = im2col_nd(x, ksize, self.stride, self.pad, self.cover_all, self.dilate)
        y = grouped_conv(col, W, self.groups)
        if len(inputs) == 3:
            y = add_channel_bias(y, inputs[2])
        return y,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.connection.deconvolution_nd import DeconvolutionND
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:
                deconv = DeconvolutionND(self.stride, self.pad, x.shape[2:], self.dilate,
                                         self.groups)
                ret.append(deconv.apply((gy, W))[0])
            elif i == 1:
                grad_w = ConvolutionNDGradW(W.shape[2:], self.stride, self.pad,
                                            self.cover_all, self.dilate, self.groups)
                ret.append(grad_w.apply((x, gy))[0])
            else:
                ret.append(SumChannels().apply((gy,))[0])
        return tuple(ret)


class ConvolutionNDGradW(FunctionNode):
    """The weight gradient of a convolution of ``x`` whose output gradient is ``gy``."""

    def __init__(self, ksize: tuple, stride: tuple, pad: tuple, cover_all: bool,
                 dilate: tuple, groups: int):
        self.ksize = tuple(ksize)
        self.stride = stride
        self.pad = pad
        self.cover_all = cover_all
        self.dilate = dilate
        self.groups = groups

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        col = im2col_nd(x, self.ksize, self.stride, self.pad, self.cover_all, self.dilate)
        return grouped_conv_grad_w(col, gy, self.groups),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.connection.deconvolution_nd import DeconvolutionND
        x, gy = self.get_retained_inputs()
        ggW, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:
                deconv = DeconvolutionND(self.stride, self.pad, x.shape[2:], self.dilate,
                                         self.groups)
                ret.append(deconv.apply((gy, ggW))[0])
            else:
                conv = ConvolutionND(self.stride, self.pad, self.cover_all, self.dilate,
                                     self.groups)
                ret.append(conv.apply((x, ggW))[0])
        return tuple(ret)


def make_convolution(node_class, func: str, ndim: int, stride, pad, cover_all, dilate,
                     groups) -> FunctionNode:
    """Validate the arguments of a public convolution and build its node."""
    node = node_class(positive_tuple(stride, ndim, func, 'stride'),
                      nonnegative_tuple(pad, ndim, func, 'pad'), bool(cover_all),
                      positive_tuple(dilate, ndim, func, 'dilate'), check_groups(groups, func))
    node.func = func
    return node


def _apply(node, x, W, b) -> Variable:
    return node.apply((x, W) if b is None else (x, W, b))[0]


def convolution_nd(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1,
                   groups=1) -> Variable:
    """N-dimensional convolution (cross-correlation, as in Chainer).

    For ``N`` spatial axes, ``y[n, o, i_1, ..., i_N] = b[o] + sum_{c, p_1, ..., p_N}
    W[o, c, p_1, ..., p_N] * x[n, c, i_1 * s_1 + p_1 * d_1 - pad_1, ...]``, with
    cells outside ``x`` reading zero. Along each axis the output length is
    ``(size + 2 * pad - ((k - 1) * dilate + 1)) // stride + 1`` (with
    ``stride - 1`` added to the numerator when ``cover_all`` is True).

    Args:
        x (Variable or array): input of shape ``(n, c_I, d_1, ..., d_N)``.
        W (Variable or array): filters of shape ``(c_O, c_I / groups, k_1, ..., k_N)``.
        b (Variable or array): optional bias of shape ``(c_O,)``.
        stride (int or tuple of N ints): stride of the filter applications.
        pad (int or tuple of N ints): zero padding added to each side of ``x``.
        cover_all (bool): if True, every input cell is covered by some window
            (the output may grow by one).
        dilate (int or tuple of N ints): spacing between the filter taps.
        groups (int): number of channel groups; ``c_I`` and ``c_O`` must be
            divisible by it, and each group of outputs sees only its group
            of inputs.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_O, l_1, ..., l_N)``.

    >>> n = 10
    >>> c_i, c_o = 3, 1
    >>> d1, d2, d3 = 30, 40, 50
    >>> k1, k2, k3 = 10, 10, 10
    >>> p1, p2, p3 = 5, 5, 5
    >>> x = np.random.uniform(0, 1, (n, c_i, d1, d2, d3)).astype(np.float32)
    >>> x.shape
    (10, 3, 30, 40, 50)
    >>> W = np.random.uniform(0, 1, (c_o, c_i, k1, k2, k3)).astype(np.float32)
    >>> W.shape
    (1, 3, 10, 10, 10)
    >>> b = np.random.uniform(0, 1, (c_o)).astype(np.float32)
    >>> b.shape
    (1,)
    >>> s1, s2, s3 = 2, 4, 6
    >>> y = F.convolution_nd(x, W, b, stride=(s1, s2, s3), pad=(p1, p2, p3))
    >>> y.shape
    (10, 1, 16, 11, 9)
    >>> l1 = int((d1 + 2 * p1 - k1) / s1 + 1)
    >>> l2 = int((d2 + 2 * p2 - k2) / s2 + 1)
    >>> l3 = int((d3 + 2 * p3 - k3) / s3 + 1)
    >>> y.shape == (n, c_o, l1, l2, l3)
    True
    >>> y = F.convolution_nd(x, W, b, stride=(s1, s2, s3), pad=(p1, p2, p3), cover_all=True)
    >>> y.shape == (n, c_o, l1, l2, l3 + 1)
    True
    """
    func = 'convolution_nd'
    ndim = spatial_ndim(x, func)
    node = make_convolution(ConvolutionND, func, ndim, stride, pad, cover_all, dilate, groups)
    return _apply(node, x, W, b)


def convolution_1d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1,
                   groups=1) -> Variable:
    """:func:`convolution_nd` of an ``(n, c_I, d)`` input with ``(c_O, c_I / groups, k)`` filters."""
    func = 'convolution_1d'
    node = make_convolution(ConvolutionND, func, spatial_ndim(x, func, 1), stride, pad,
                            cover_all, dilate, groups)
    return _apply(node, x, W, b)


def convolution_3d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1,
                   groups=1) -> Variable:
    """:func:`convolution_nd` of an ``(n, c_I, d_1, d_2, d_3)`` input with
    ``(c_O, c_I / groups, k_1, k_2, k_3)`` filters."""
    func = 'convolution_3d'
    node = make_convolution(ConvolutionND, func, spatial_ndim(x, func, 3), stride, pad,
                            cover_all, dilate, groups)
    return _apply(node, x, W, b)
