"""Swish, ``x * sigmoid(beta * x)``: ``swish``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.activation._channel_param import (
    check_channel_param,
    extended_shape,
    reduce_axes,
)
from tracegrad.variable import Variable

__all__ = ['swish']


class Swish(FunctionNode):
    """``x * sigmoid(beta * x)`` with ``beta`` broadcast over the batch."""

    def check_type_forward(self, in_types):
        check_channel_param(in_types, ('x', 'beta'))

    def forward(self, inputs):
        x, beta = inputs
        self.retain_inputs((0, 1))
        bx = beta.reshape(extended_shape(beta.shape, x.ndim)) * x
        half = x.dtype.type(0.5)
        return x * (get_array_module(x).tanh(bx * half) * half + half),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.activation.sigmoid import sigmoid
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.math.sum import sum

        x, beta = self.get_retained_inputs()
        gy, = grad_outputs
        b = reshape(beta, extended_shape(beta.shape, x.ndim))
        s = sigmoid(b * x)
        gy_ds = gy * x * s * (1 - s)  # gy times d(sigmoid(b x)) / d(b x), times x
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(gy * s + gy_ds * b)
            else:
                ret.append(sum(gy_ds * x, axis=reduce_axes(beta.ndim, x.ndim)))
        return tuple(ret)


def swish(x, beta) -> Variable:
    """Swish activation: ``f(x, beta) = x * sigmoid(beta * x)``.

    ``swish(x, 0)`` is ``x / 2``; as ``beta`` grows it approaches ReLU.
    ``beta`` of shape ``(s_1, ..., s_M)`` applies to ``x`` of shape
    ``(B, s_1, ..., s_M, ...)``, shared over the batch and trailing axes.
    To learn ``beta``, use the ``Swish`` link.

    Args:
        x (Variable or array): input; its first axis is the batch axis.
        beta (Variable or array): the parameter :math:`\\beta`.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.

    >>> x = np.array([[-2., 0., 2.]], np.float32)
    >>> F.swish(x, np.zeros(3, np.float32)).array
    array([[-1.,  0.,  1.]], dtype=float32)
    """
    return Swish().apply((x, beta))[0]
