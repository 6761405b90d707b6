"""Logistic sigmoids: ``sigmoid`` and its piecewise-linear cousin ``hard_sigmoid``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['hard_sigmoid', 'sigmoid']


def _check_float_x(in_types):
    type_check._argname(in_types, ('x',))
    type_check.expect(in_types[0].dtype.kind == 'f')


class Sigmoid(FunctionNode):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""

    def check_type_forward(self, in_types):
        _check_float_x(in_types)

    def forward(self, inputs):
        x, = inputs
        self.retain_outputs((0,))
        # tanh form: stable for large |x| and no overflow warning from exp.
        half = x.dtype.type(0.5)
        return get_array_module(x).tanh(x * half) * half + half,

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return SigmoidGrad().apply((y, grad_outputs[0]))


class SigmoidGrad(FunctionNode):
    """``gy * y * (1 - y)`` from the sigmoid output ``y`` and upstream ``gy``."""

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        y, gy = inputs
        return gy * y * (y.dtype.type(1) - y),

    def backward(self, indexes, grad_outputs):
        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        return ggx * gy * (1 - 2 * y), ggx * y * (1 - y)


class HardSigmoid(FunctionNode):
    """``clip(0.2 * x + 0.5, 0, 1)``."""

    def check_type_forward(self, in_types):
        _check_float_x(in_types)

    def forward(self, inputs):
        x, = inputs
        self.retain_inputs((0,))
        dt = x.dtype.type
        return get_array_module(x).clip(x * dt(0.2) + dt(0.5), dt(0), dt(1)),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return HardSigmoidGrad(x.array).apply(grad_outputs)


class HardSigmoidGrad(FunctionNode):
    """``0.2 * gy`` where ``|x| < 2.5``, else 0; the mask is a constant of the node."""

    def __init__(self, x):
        self.x = x

    def forward(self, inputs):
        gy, = inputs
        x = self.x
        inside = (x > -2.5) & (x < 2.5)
        return gy * gy.dtype.type(0.2) * inside,

    def backward(self, indexes, grad_outputs):
        return HardSigmoidGrad(self.x).apply(grad_outputs)


def sigmoid(x) -> Variable:
    """Elementwise logistic sigmoid, ``f(x) = 1 / (1 + exp(-x))``.

    Args:
        x (Variable or array): a float array of any shape.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype, in ``(0, 1)``.

    >>> x = np.arange(-2, 3, 2).astype(np.float32)
    >>> x
    array([-2.,  0.,  2.], dtype=float32)
    >>> F.sigmoid(x).array
    array([0.11920291, 0.5       , 0.8807971 ], dtype=float32)
    """
    return Sigmoid().apply((x,))[0]


def hard_sigmoid(x) -> Variable:
    """Elementwise hard sigmoid: 0 below -2.5, 1 above 2.5, ``0.2 x + 0.5`` between.

    Args:
        x (Variable or array): a float array of any shape.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype, in ``[0, 1]``.

    >>> x = np.array([-2.6, -1, 0, 1, 2.6])
    >>> x
    array([-2.6, -1. ,  0. ,  1. ,  2.6])
    >>> F.hard_sigmoid(x).array
    array([0. , 0.3, 0.5, 0.7, 1. ])
    """
    return HardSigmoid().apply((x,))[0]
