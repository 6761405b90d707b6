"""2-D convolution (``convolution_2d``) by im2col and one batched GEMM per group.

Its gradient with respect to ``x`` is a deconvolution, with respect to ``W``
the node :class:`Convolution2DGradW`, with respect to ``b`` a sum over all
axes but the channel axis; each of these is differentiable again.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import (
    get_conv_outsize,
    im2col,
    nonnegative_pair,
    positive_pair,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['convolution_2d']


def check_positive_outsize(func: str, out_h: int, out_w: int) -> None:
    if out_h <= 0:
        raise RuntimeError(f'{func}: height in the output should be positive, got {out_h}')
    if out_w <= 0:
        raise RuntimeError(f'{func}: width in the output should be positive, got {out_w}')


def grouped_conv(col, W, groups: int):
    """``y[n, o] = sum W[o] * col[n]`` per group as a batched GEMM.

    ``col`` is ``(n, c, kh, kw, out_h, out_w)``, ``W`` is ``(c_o, c / groups, kh, kw)``;
    returns ``(n, c_o, out_h, out_w)``.
    """
    xp = get_array_module(col, W)
    n, c, kh, kw, out_h, out_w = col.shape
    c_o = W.shape[0]
    col = col.reshape(n, groups, (c // groups) * kh * kw, out_h * out_w)
    W = W.reshape(groups, c_o // groups, (c // groups) * kh * kw)
    y = xp.matmul(W, col)  # (n, groups, c_o / groups, out_h * out_w)
    return y.reshape(n, c_o, out_h, out_w)


def grouped_conv_grad_w(col, gy, groups: int):
    """``gW[o] = sum_{n, pixels} gy[n, o] * col[n]`` per group.

    ``col`` is ``(n, c, kh, kw, out_h, out_w)``, ``gy`` is ``(n, c_o, out_h, out_w)``;
    returns ``(c_o, c / groups, kh, kw)``.
    """
    xp = get_array_module(col, gy)
    n, c, kh, kw, out_h, out_w = col.shape
    c_o = gy.shape[1]
    k = (c // groups) * kh * kw
    # Move the batch next to the pixels so that one GEMM per group sums over both.
    col = col.reshape(n, groups, k, out_h * out_w).transpose(1, 2, 0, 3)
    col = col.reshape(groups, k, n * out_h * out_w)
    gy = gy.reshape(n, groups, c_o // groups, out_h * out_w).transpose(1, 2, 0, 3)
    gy = gy.reshape(groups, c_o // groups, n * out_h * out_w)
    gW = xp.matmul(gy, col.transpose(0, 2, 1))
    return gW.reshape(c_o, c // groups, kh, kw)


class SumChannels(FunctionNode):
    """Sum an ``(n, c, h, w)`` array to ``(c,)``: the bias gradient of convolutions."""

    def forward(self, inputs):
        gy, = inputs
        self.shape = gy.shape
        return gy.sum(axis=(0, 2, 3)),

    def backward(self, indexes, grad_outputs):
        return BroadcastChannels(self.shape).apply(grad_outputs)


class BroadcastChannels(FunctionNode):
    """Broadcast a ``(c,)`` array to ``shape`` ``(n, c, h, w)`` along the channel axis."""

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, inputs):
        b, = inputs
        xp = get_array_module(b)
        return xp.broadcast_to(b.reshape(1, -1, 1, 1), self.shape),

    def backward(self, indexes, grad_outputs):
        return SumChannels().apply(grad_outputs)


def add_channel_bias(y, b):
    return y + b.reshape(1, -1, 1, 1)


class Convolution2DFunction(FunctionNode):
    """``y = W * x + b``; parameters as in :func:`convolution_2d`, already validated."""

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
        type_check.expect(
            x.dtype.kind == 'f',
            W.dtype == x.dtype,
            x.ndim == 4,
            W.ndim == 4,
            x.shape[1] == W.shape[1] * self.groups,
            W.shape[0] % self.groups == 0,
        )
        if n_in == 3:
            b = in_types[2]
            type_check.expect(b.dtype == x.dtype, b.ndim == 1, b.shape[0] == W.shape[0])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[0], inputs[1]
        _, _, kh, kw = W.shape
        (sy, sx), (ph, pw), (dy, dx) = self.stride, self.pad, self.dilate
        check_positive_outsize(
            'convolution_2d', get_conv_outsize(x.shape[2], kh, sy, ph, self.cover_all, dy),
            get_conv_outsize(x.shape[3], kw, sx, pw, self.cover_all, dx))
        col = im2col(x, kh, kw, sy, sx, ph, pw, self.cover_all, dy, dx)
        y = grouped_conv(col, W, self.groups)
        if len(inputs) == 3:
            y = add_channel_bias(y, inputs[2])
        return y,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.connection.deconvolution_2d import Deconvolution2DFunction

        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:
                deconv = Deconvolution2DFunction(self.stride, self.pad, x.shape[2:],
                                                 self.dilate, self.groups)
                ret.append(deconv.apply((gy, W))[0])
            elif i == 1:
                grad_w = Convolution2DGradW(W.shape[2:], self.stride, self.pad,
                                            self.cover_all, self.dilate, self.groups)
                ret.append(grad_w.apply((x, gy))[0])
            else:
                ret.append(SumChannels().apply((gy,))[0])
        return tuple(ret)


class Convolution2DGradW(FunctionNode):
    """The weight gradient of a convolution of ``x`` whose output gradient is ``gy``."""

    def __init__(self, ksize: tuple, stride: tuple, pad: tuple, cover_all: bool,
                 dilate: tuple, groups: int):
        self.ksize = ksize
        self.stride = stride
        self.pad = pad
        self.cover_all = cover_all
        self.dilate = dilate
        self.groups = groups

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        (kh, kw), (sy, sx), (ph, pw), (dy, dx) = self.ksize, self.stride, self.pad, self.dilate
        col = im2col(x, kh, kw, sy, sx, ph, pw, self.cover_all, dy, dx)
        return grouped_conv_grad_w(col, gy, self.groups),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.connection.deconvolution_2d import Deconvolution2DFunction

        x, gy = self.get_retained_inputs()
        ggW, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:
                deconv = Deconvolution2DFunction(self.stride, self.pad, x.shape[2:],
                                                 self.dilate, self.groups)
                ret.append(deconv.apply((gy, ggW))[0])
            else:
                conv = Convolution2DFunction(self.stride, self.pad, self.cover_all,
                                             self.dilate, self.groups)
                ret.append(conv.apply((x, ggW))[0])
        return tuple(ret)


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
    name = 'convolution_2d'
    node = Convolution2DFunction(
        positive_pair(stride, name, 'stride'), nonnegative_pair(pad, name, 'pad'),
        bool(cover_all), positive_pair(dilate, name, 'dilate'), check_groups(groups, name))
    if b is None:
        return node.apply((x, W))[0]
    return node.apply((x, W, b))[0]


def check_groups(groups, func: str) -> int:
    if isinstance(groups, bool) or not hasattr(groups, '__index__'):
        raise TypeError(f'{func}: groups must be an int, got {groups!r}')
    if groups < 1:
        raise ValueError(f'{func}: groups must be positive, got {groups}')
    return int(groups)
