"""2-D deconvolution (transposed convolution, ``deconvolution_2d``).

Its forward is the data gradient of a convolution: one batched GEMM per group
gives the windows, and ``col2im`` sums them into the output image.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.convolution_2d import (
    Convolution2DFunction,
    Convolution2DGradW,
    SumChannels,
    add_channel_bias,
    check_groups,
    check_positive_outsize,
)
from tracegrad.functions.connection.im2col import (
    col2im,
    get_conv_outsize,
    get_deconv_outsize,
    nonnegative_pair,
    positive_pair,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['deconvolution_2d']


class Deconvolution2DFunction(FunctionNode):
    """The transpose of :class:`Convolution2DFunction`; ``outsize`` may be None."""

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
        type_check.expect(
            x.dtype.kind == 'f',
            W.dtype == x.dtype,
            x.ndim == 4,
            W.ndim == 4,
            x.shape[1] == W.shape[0],
            W.shape[0] % self.groups == 0,
        )
        if self.outsize is not None:
            for axis in (2, 3):
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
                     for a in (2, 3))
        check_positive_outsize('deconvolution_2d', *size)
        return size

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[0], inputs[1]
        xp = get_array_module(x, W)
        groups = self.groups
        n, c_in, h, w = x.shape
        _, c_out_g, kh, kw = W.shape
        out_h, out_w = self._out_size(x.shape, W.shape)
        W = W.reshape(groups, c_in // groups, c_out_g * kh * kw).transpose(0, 2, 1)
        x = x.reshape(n, groups, c_in // groups, h * w)
        col = xp.matmul(W, x)  # (n, groups, c_out_g * kh * kw, h * w)
        col = col.reshape(n, groups * c_out_g, kh, kw, h, w)
        (sy, sx), (ph, pw), (dy, dx) = self.stride, self.pad, self.dilate
        y = col2im(col, sy, sx, ph, pw, out_h, out_w, dy, dx)
        if len(inputs) == 3:
            y = add_channel_bias(y, inputs[2])
        return y,

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        kh, kw = W.shape[2:]
        (sy, sx), (ph, pw), (dy, dx) = self.stride, self.pad, self.dilate
        out_h, out_w = gy.shape[2:]
        # The convolution that maps gy back to x's size may need cover_all.
        cover_all = (x.shape[2] != get_conv_outsize(out_h, kh, sy, ph, False, dy)
                     or x.shape[3] != get_conv_outsize(out_w, kw, sx, pw, False, dx))
        ret = []
        for i in indexes:
            if i == 0:
                conv = Convolution2DFunction(self.stride, self.pad, cover_all, self.dilate,
                                             self.groups)
                ret.append(conv.apply((gy, W))[0])
            elif i == 1:
                grad_w = Convolution2DGradW((kh, kw), self.stride, self.pad, cover_all,
                                            self.dilate, self.groups)
                ret.append(grad_w.apply((gy, x))[0])
            else:
                ret.append(SumChannels().apply((gy,))[0])
        return tuple(ret)


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
    name = 'deconvolution_2d'
    if outsize is not None:
        outsize = positive_pair(outsize, name, 'outsize')
    node = Deconvolution2DFunction(
        positive_pair(stride, name, 'stride'), nonnegative_pair(pad, name, 'pad'), outsize,
        positive_pair(dilate, name, 'dilate'), check_groups(groups, name))
    if b is None:
        return node.apply((x, W))[0]
    return node.apply((x, W, b))[0]
