"""Hyperbolic functions: ``sinh``, ``cosh`` and the inverse ``arctanh``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.variable import Variable

__all__ = ['arctanh', 'cosh', 'sinh']


class Sinh(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).sinh(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * cosh(x),


class Cosh(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).cosh(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * sinh(x),


class Arctanh(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).arctanh(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] / (1.0 - x * x),


def sinh(x) -> Variable:
    """Elementwise hyperbolic sine, :math:`(e^x - e^{-x}) / 2`.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``sinh(x)``.
    """
    return Sinh().apply((x,))[0]


def cosh(x) -> Variable:
    """Elementwise hyperbolic cosine, :math:`(e^x + e^{-x}) / 2`.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``cosh(x)``.
    """
    return Cosh().apply((x,))[0]


def arctanh(x) -> Variable:
    """Elementwise inverse hyperbolic tangent.

    Args:
        x (Variable or array): a float array with values in (-1, 1).

    Returns:
        ~tracegrad.Variable: ``arctanh(x)``; its gradient is :math:`1 / (1 - x^2)`.
    """
    return Arctanh().apply((x,))[0]
