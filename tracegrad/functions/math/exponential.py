"""Exponentials and logarithms: ``exp``, ``expm1``, ``log``, ``log2``, ``log10``, ``log1p``."""
from __future__ import annotations

import math

from tracegrad.backend import get_array_module
from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.variable import Variable

__all__ = ['exp', 'expm1', 'log', 'log1p', 'log2', 'log10']


class Exp(FloatUnary):
    def forward(self, inputs):
        self.retain_outputs((0,))
        x, = inputs
        return get_array_module(x).exp(x),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return grad_outputs[0] * y,


class Expm1(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).expm1(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * exp(x),


_LOG_FUNCS = {'e': 'log', '2': 'log2', '10': 'log10'}


class Log(FloatUnary):
    """Logarithm to a base: ``log_b(x) = ln(x) / ln(b)``, so ``d/dx = 1 / (x ln b)``."""

    def __init__(self, base: str = 'e'):
        self.base = base

    @property
    def label(self) -> str:
        return _LOG_FUNCS[self.base]

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return getattr(get_array_module(x), _LOG_FUNCS[self.base])(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        gx = grad_outputs[0] / x
        if self.base != 'e':
            gx = gx * (1.0 / math.log(float(self.base)))
        return gx,


class Log1p(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).log1p(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] / (x + 1.0),


def exp(x) -> Variable:
    """Elementwise exponential function, :math:`e^x`.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``exp(x)``.

    >>> F.exp(np.array([0., 1.], np.float32)).array
    array([1.      , 2.718282], dtype=float32)
    """
    return Exp().apply((x,))[0]


def expm1(x) -> Variable:
    """Elementwise :math:`e^x - 1`, accurate for small ``x``.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``exp(x) - 1``.
    """
    return Expm1().apply((x,))[0]


def log(x) -> Variable:
    """Elementwise natural logarithm.

    Args:
        x (Variable or array): a float array of positive values.

    Returns:
        ~tracegrad.Variable: ``ln(x)``.
    """
    return Log('e').apply((x,))[0]


def log2(x) -> Variable:
    """Elementwise logarithm to base 2.

    Args:
        x (Variable or array): a float array of positive values.

    Returns:
        ~tracegrad.Variable: ``log2(x)``.
    """
    return Log('2').apply((x,))[0]


def log10(x) -> Variable:
    """Elementwise logarithm to base 10.

    Args:
        x (Variable or array): a float array of positive values.

    Returns:
        ~tracegrad.Variable: ``log10(x)``.
    """
    return Log('10').apply((x,))[0]


def log1p(x) -> Variable:
    """Elementwise :math:`\\ln(1 + x)`, accurate for small ``x``.

    Args:
        x (Variable or array): a float array greater than -1.

    Returns:
        ~tracegrad.Variable: ``log(1 + x)``.
    """
    return Log1p().apply((x,))[0]
