"""The error function and its relatives: ``erf``, ``erfc``, ``erfcx``, ``erfinv``,
``erfcinv`` (SciPy's special functions on NumPy, ``cupyx.scipy.special`` on CuPy)."""
from __future__ import annotations

import math

from tracegrad.functions.math.special import SpecialUnary
from tracegrad.variable import Variable

__all__ = ['erf', 'erfc', 'erfcinv', 'erfcx', 'erfinv']

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)   # erf'(0)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2.0       # erfinv'(0)


class Erf(SpecialUnary):
    function, special_name = 'erf', 'erf'

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        x, = self.get_retained_inputs()
        return grad_outputs[0] * (_TWO_OVER_SQRT_PI * exp(-(x * x))),


class Erfc(SpecialUnary):
    function, special_name = 'erfc', 'erfc'

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        x, = self.get_retained_inputs()
        return grad_outputs[0] * (-_TWO_OVER_SQRT_PI * exp(-(x * x))),


class Erfcx(SpecialUnary):
    """``exp(x^2) erfc(x)``, whose derivative is ``2 x erfcx(x) - 2 / sqrt(pi)``."""

    function, special_name = 'erfcx', 'erfcx'

    def forward(self, inputs):
        self.retain_outputs((0,))
        return super().forward(inputs)

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        return grad_outputs[0] * (2.0 * x * y - _TWO_OVER_SQRT_PI),


class ErfInv(SpecialUnary):
    function, special_name, retain = 'erfinv', 'erfinv', 'y'

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        y, = self.get_retained_outputs()
        return grad_outputs[0] * (_HALF_SQRT_PI * exp(y * y)),


class ErfcInv(SpecialUnary):
    function, special_name, retain = 'erfcinv', 'erfcinv', 'y'

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        y, = self.get_retained_outputs()
        return grad_outputs[0] * (-_HALF_SQRT_PI * exp(y * y)),


def erf(x) -> Variable:
    """Elementwise error function, :math:`\\frac{2}{\\sqrt\\pi}\\int_0^x e^{-t^2} dt`.

    On NumPy arrays it needs SciPy (``pip install "tracegrad[special]"``).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``erf(x)``.
    """
    return Erf().apply((x,))[0]


def erfc(x) -> Variable:
    """Elementwise complementary error function, ``1 - erf(x)``, accurate where it is tiny.

    On NumPy arrays it needs SciPy.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``erfc(x)``.
    """
    return Erfc().apply((x,))[0]


def erfcx(x) -> Variable:
    """Elementwise scaled complementary error function, ``exp(x**2) * erfc(x)``, which
    stays finite for large ``x`` where ``erfc`` underflows.

    On NumPy arrays it needs SciPy.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``erfcx(x)``.
    """
    return Erfcx().apply((x,))[0]


def erfinv(x) -> Variable:
    """Elementwise inverse of the error function: ``erf(erfinv(x)) == x``.

    On NumPy arrays it needs SciPy.

    Args:
        x (Variable or array): a float array with values in [-1, 1] (NaN outside).

    Returns:
        ~tracegrad.Variable: ``erfinv(x)``.
    """
    return ErfInv().apply((x,))[0]


def erfcinv(x) -> Variable:
    """Elementwise inverse of the complementary error function: ``erfc(erfcinv(x)) == x``.

    On NumPy arrays it needs SciPy.

    Args:
        x (Variable or array): a float array with values in [0, 2] (NaN outside).

    Returns:
        ~tracegrad.Variable: ``erfcinv(x)``.
    """
    return ErfcInv().apply((x,))[0]
