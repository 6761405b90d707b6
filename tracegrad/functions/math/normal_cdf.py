"""The standard normal distribution's CDF ``ndtr``, its logarithm ``log_ndtr`` and its
inverse ``ndtri`` (SciPy's special functions on NumPy, ``cupyx.scipy.special`` on CuPy)."""
from __future__ import annotations

import math

from tracegrad.functions.math.special import SpecialUnary
from tracegrad.variable import Variable

__all__ = ['log_ndtr', 'ndtr', 'ndtri']

_SQRT_2PI = math.sqrt(2.0 * math.pi)


class Ndtr(SpecialUnary):
    function, special_name = 'ndtr', 'ndtr'

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        x, = self.get_retained_inputs()
        return grad_outputs[0] * (exp(-0.5 * (x * x)) * (1.0 / _SQRT_2PI)),


class LogNdtr(SpecialUnary):
    """``log(ndtr(x))``: its derivative pdf(x) / ndtr(x) is written with erfcx, which
    keeps it finite far into the left tail."""

    function, special_name = 'log_ndtr', 'log_ndtr'

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.error_function import erfcx

        x, = self.get_retained_inputs()
        return grad_outputs[0] * (math.sqrt(2.0 / math.pi) / erfcx(x * -math.sqrt(0.5))),


class Ndtri(SpecialUnary):
    function, special_name, retain = 'ndtri', 'ndtri', 'y'

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        y, = self.get_retained_outputs()
        return grad_outputs[0] * (_SQRT_2PI * exp(0.5 * (y * y))),


def ndtr(x) -> Variable:
    """Elementwise CDF of the standard normal distribution,
    :math:`\\frac{1}{\\sqrt{2\\pi}}\\int_{-\\infty}^x e^{-t^2/2} dt`.

    On NumPy arrays it needs SciPy (``pip install "tracegrad[special]"``).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``ndtr(x)``.
    """
    return Ndtr().apply((x,))[0]


def log_ndtr(x) -> Variable:
    """Elementwise logarithm of the standard normal CDF, accurate in both tails (where
    ``log(ndtr(x))`` would give ``-inf`` or lose digits).

    On NumPy arrays it needs SciPy.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``log(ndtr(x))``.
    """
    return LogNdtr().apply((x,))[0]


def ndtri(x) -> Variable:
    """Elementwise inverse of the standard normal CDF (the normal quantile function).

    On NumPy arrays it needs SciPy.

    Args:
        x (Variable or array): probabilities, a float array with values in [0, 1].

    Returns:
        ~tracegrad.Variable: ``y`` with ``ndtr(y) == x``.
    """
    return Ndtri().apply((x,))[0]
