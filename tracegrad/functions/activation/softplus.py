"""Softplus, a smooth ReLU: ``softplus``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['softplus']


class Softplus(FunctionNode):
    """``log(1 + exp(beta * x)) / beta``."""

    def __init__(self, beta: float = 1.0):
        self.beta = float(beta)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    def forward(self, inputs):
        x, = inputs
        self.retain_inputs((0,))
        xp = get_array_module(x)
        bx = x * x.dtype.type(self.beta)
        # max(bx, 0) + log1p(exp(-|bx|)) equals log1p(exp(bx)) without overflow.
        y = xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))
        return y * x.dtype.type(1.0 / self.beta),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return SoftplusGrad(self.beta).apply((x, grad_outputs[0]))


class SoftplusGrad(FunctionNode):
    """``gy * sigmoid(beta * x)``: the softplus gradient from its input ``x``."""

    def __init__(self, beta: float):
        self.beta = beta

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        half = x.dtype.type(0.5)
        s = get_array_module(x).tanh(x * x.dtype.type(self.beta) * half) * half + half
        return gy * s,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.activation.sigmoid import sigmoid

        x, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:
                s = sigmoid(x * self.beta)
                ret.append(ggx * gy * s * (1 - s) * self.beta)
            else:
                ret.append(SoftplusGrad(self.beta).apply((x, ggx))[0])
        return tuple(ret)


def softplus(x, beta=1.0) -> Variable:
    """Softplus: ``log(1 + exp(beta * x)) / beta``, a smooth approximation of ReLU.

    Larger ``beta`` makes the curve closer to ReLU.

    Args:
        x (Variable or array): a float array of any shape.
        beta (float): the sharpness :math:`\\beta`.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.

    >>> x = np.arange(-2, 3, 2).astype(np.float32)
    >>> x
    array([-2.,  0.,  2.], dtype=float32)
    >>> F.softplus(x, beta=1.0).array
    array([0.126928 , 0.6931472, 2.126928 ], dtype=float32)
    """
    return Softplus(beta).apply((x,))[0]
