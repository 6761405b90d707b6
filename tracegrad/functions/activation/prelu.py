"""Parametric ReLU: ``prelu``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.activation._channel_param import (
    check_channel_param,
    extended_shape,
    reduce_axes,
)
from tracegrad.variable import Variable

__all__ = ['prelu']


class PReLUFunction(FunctionNode):
    """``x`` where ``x >= 0``, ``W * x`` elsewhere, with ``W`` broadcast over the batch."""

    def check_type_forward(self, in_types):
        check_channel_param(in_types, ('x', 'W'))

    def forward(self, inputs):
        x, W = inputs
        self.retain_inputs((0, 1))
        w = W.reshape(extended_shape(W.shape, x.ndim))
        return get_array_module(x).where(x >= 0, x, x * w),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.math.sum import sum

        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        negative = (x.array < 0).astype(x.dtype)
        gy_neg = gy * negative
        ret = []
        for i in indexes:
            if i == 0:
                w = reshape(W, extended_shape(W.shape, x.ndim))
                ret.append(gy - gy_neg + gy_neg * w)
            else:
                ret.append(sum(gy_neg * x, axis=reduce_axes(W.ndim, x.ndim)))
        return tuple(ret)


def prelu(x, W) -> Variable:
    """Parametric ReLU: ``x`` where ``x >= 0``, ``W * x`` elsewhere.

    ``W`` of shape ``(s_1, ..., s_M)`` applies to ``x`` of shape
    ``(B, s_1, ..., s_M, ...)``: it is shared over the batch axis and any
    trailing axes (e.g. the pixels of a convolution's feature map).

    Args:
        x (Variable or array): input; its first axis is the batch axis.
        W (Variable or array): the slopes of negative inputs.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.

    >>> x = np.arange(-3, 3, dtype=np.float32).reshape((2, 3))
    >>> x
    array([[-3., -2., -1.],
           [ 0.,  1.,  2.]], dtype=float32)
    >>> W = np.array([0.01, 0.1, 1], dtype=np.float32)
    >>> W
    array([0.01, 0.1 , 1.  ], dtype=float32)
    >>> F.prelu(x, W)
    variable([[-0.03, -0.2 , -1.  ],
              [ 0.  ,  1.  ,  2.  ]])
    """
    return PReLUFunction().apply((x, W))[0]
