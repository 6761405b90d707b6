"""``local_convolution_2d``: a convolution whose filters differ at every output position."""
from __future__ import annotations

import math

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import get_conv_outsize, im2col_nd, positive_pair
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['local_convolution_2d']


class LocalConvolution2DFunction(FunctionNode):
    """``y[n, o, i, j] = sum_{c, p, q} W[o, i, j, c, p, q] x[n, c, i*sy + p, j*sx + q]
    (+ b[o, i, j])``; ``stride`` already validated."""

    def __init__(self, stride: tuple):
        self.stride = stride

    def check_type_forward(self, in_types):
        n_in = len(in_types)
        type_check._argname(in_types, ('x', 'W', 'b')[:n_in])
        x, W = in_types[:2]
        type_check.expect(
            x.dtype.kind == 'f',
            W.dtype == x.dtype,
            x.ndim == 4,
            W.ndim == 6,
            x.shape[1] == W.shape[3],
        )
        (kh, kw), (sy, sx) = W.shape.eval()[4:], self.stride
        out_h = type_check.Variable(get_conv_outsize(x.shape[2].eval(), kh, sy, 0),
                                    'out_h(x.shape[2])')
        out_w = type_check.Variable(get_conv_outsize(x.shape[3].eval(), kw, sx, 0),
                                    'out_w(x.shape[3])')
        type_check.expect(out_h == W.shape[1], out_w == W.shape[2])
        if n_in == 3:
            b = in_types[2]
            type_check.expect(b.dtype == x.dtype, b.ndim == 3, b.shape[0] == W.shape[0],
                              b.shape[1] == W.shape[1], b.shape[2] == W.shape[2])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[:2]
        xp = get_array_module(x, W)
        n = x.shape[0]
        c_o, out_h, out_w = W.shape[:3]
        pixels, k = out_h * out_w, math.prod(W.shape[3:])
        col = im2col_nd(x, W.shape[4:], self.stride, (0, 0))  # (n, c, kh, kw, out_h, out_w)
        col = col.reshape(n, k, pixels).transpose(2, 0, 1)  # (pixels, n, k)
        W = W.reshape(c_o, pixels, k).transpose(1, 2, 0)  # (pixels, k, c_o)
        y = xp.matmul(col, W).transpose(1, 2, 0).reshape(n, c_o, out_h, out_w)
        if len(inputs) == 3:
            y = y + inputs[2]
        return y,

    def backward(self, indexes, grad_outputs):
        from tracegrad import functions as F
        from tracegrad.functions.array.im2col import Col2Im

        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        n = x.shape[0]
        c_o, out_h, out_w = W.shape[:3]
        pixels, k = out_h * out_w, math.prod(W.shape[3:])
        ksize = tuple(W.shape[4:])
        gy_t = F.transpose(F.reshape(gy, (n, c_o, pixels)), (2, 0, 1))  # (pixels, n, c_o)
        ret = []
        for i in indexes:
            if i == 0:
                w_t = F.transpose(F.reshape(W, (c_o, pixels, k)), (1, 0, 2))  # (pixels, c_o, k)
                gcol = F.transpose(F.matmul(gy_t, w_t), (1, 2, 0))  # (n, k, pixels)
                gcol = F.reshape(gcol, (n, k, out_h, out_w))
                col2im = Col2Im(ksize, self.stride, (0, 0), False, (1, 1), x.shape[2:])
                ret.append(col2im.apply((gcol,))[0])
            elif i == 1:
                col = F.im2col(x, ksize, self.stride)  # (n, k, out_h, out_w)
                col_t = F.transpose(F.reshape(col, (n, k, pixels)), (2, 0, 1))  # (pixels, n, k)
                gw = F.matmul(gy_t, col_t, transa=True)  # (pixels, c_o, k)
                ret.append(F.reshape(F.transpose(gw, (1, 0, 2)), W.shape))
            else:
                ret.append(F.sum(gy, axis=0))
        return tuple(ret)


def local_convolution_2d(x, W, b=None, stride=1) -> Variable:
    """Two-dimensional local convolution: unshared filters, one set per output pixel.

    Like :func:`convolution_2d` without padding, but output pixel ``(i, j)``
    uses its own filters ``W[:, i, j]`` and bias ``b[:, i, j]``:
    ``y[n, o, i, j] = b[o, i, j] + sum_{c, p, q} W[o, i, j, c, p, q] *
    x[n, c, i * s_Y + p, j * s_X + q]``.

    Args:
        x (Variable or array): input of shape ``(n, c_I, h, w)``.
        W (Variable or array): filters ``(c_O, h_O, w_O, c_I, k_H, k_W)``, where
            ``h_O = (h - k_H) // s_Y + 1`` and ``w_O = (w - k_W) // s_X + 1``.
        b (Variable or array): optional bias ``(c_O, h_O, w_O)``.
        stride (int or pair of ints): stride of the filter applications.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_O, h_O, w_O)``.

    >>> x = np.random.uniform(0, 1, (2, 3, 7, 7))
    >>> W = np.random.uniform(0, 1, (2, 5, 5, 3, 3, 3))
    >>> b = np.random.uniform(0, 1, (2, 5, 5))
    >>> y = F.local_convolution_2d(x, W, b)
    >>> y.shape
    (2, 2, 5, 5)
    """
    node = LocalConvolution2DFunction(positive_pair(stride, 'local_convolution_2d', 'stride'))
    return node.apply((x, W) if b is None else (x, W, b))[0]
