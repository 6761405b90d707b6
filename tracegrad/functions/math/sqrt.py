"""Elementwise ``sqrt`` and its reciprocal ``rsqrt``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.variable import Variable

__all__ = ['rsqrt', 'sqrt']


class Sqrt(FloatUnary):
    def forward(self, inputs):
        self.retain_outputs((0,))
        x, = inputs
        return get_array_module(x).sqrt(x),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return grad_outputs[0] / (y * 2.0),


class Rsqrt(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        x, = inputs
        return 1 / get_array_module(x).sqrt(x),

    def backward(self, indexes, grad_outputs):
        # d/dx x^(-1/2) = -y / (2x)
        x, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        return grad_outputs[0] * y / (x * -2.0),


def sqrt(x) -> Variable:
    """Elementwise square root.

    Args:
        x (Variable or array): a float array of non-negative values.

    Returns:
        ~tracegrad.Variable: :math:`\\sqrt{x}`.
    """
    return Sqrt().apply((x,))[0]


def rsqrt(x) -> Variable:
    """Elementwise reciprocal of the square root, :math:`1 / \\sqrt{x}`.

    Args:
        x (Variable or array): a float array of positive values.

    Returns:
        ~tracegrad.Variable: ``1 / sqrt(x)``.
    """
    return Rsqrt().apply((x,))[0]
