"""Trigonometric functions: ``sin``, ``cos``, ``tan``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.variable import Variable

__all__ = ['cos', 'sin', 'tan']


class Sin(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).sin(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * cos(x),


class Cos(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).cos(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * -sin(x),


class Tan(FloatUnary):
    def forward(self, inputs):
        self.retain_outputs((0,))
        x, = inputs
        return get_array_module(x).tan(x),

    def backward(self, indexes, grad_outputs):
        # d/dx tan(x) = 1 + tan(x)^2
        y, = self.get_retained_outputs()
        return grad_outputs[0] * (y * y + 1.0),


def sin(x) -> Variable:
    """Elementwise sine (radians).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``sin(x)``.
    """
    return Sin().apply((x,))[0]


def cos(x) -> Variable:
    """Elementwise cosine (radians).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``cos(x)``.
    """
    return Cos().apply((x,))[0]


def tan(x) -> Variable:
    """Elementwise tangent (radians).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``tan(x)``.
    """
    return Tan().apply((x,))[0]
