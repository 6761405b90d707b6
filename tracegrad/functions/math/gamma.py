"""The log-gamma function and its derivatives: ``lgamma``, ``digamma``, ``polygamma``
(SciPy's special functions on NumPy, ``cupyx.scipy.special`` on CuPy)."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.functions.math.special import SpecialUnary, special
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['digamma', 'lgamma', 'polygamma']


class LGamma(SpecialUnary):
    function, special_name = 'lgamma', 'gammaln'

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * digamma(x),


class DiGamma(SpecialUnary):
    function, special_name = 'digamma', 'digamma'

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * polygamma(x.xp.asarray(1), x),


class PolyGamma(FunctionNode):
    """The n-th derivative of digamma; ``n`` (integers) gets no gradient."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('n', 'x'))
        n, x = in_types
        type_check.expect(n.dtype.kind == 'i', x.dtype.kind == 'f')
        type_check.expect_broadcast_shapes(n.shape, x.shape)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        n, x = inputs
        return special('polygamma', 'polygamma', n, x).astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        n, x = self.get_retained_inputs()
        n_next = n.xp.asarray(n.array + 1)  # NumPy makes a scalar of a 0-d sum
        return None, sum_to(grad_outputs[0] * polygamma(n_next, x), x.shape)


def lgamma(x) -> Variable:
    """Elementwise logarithm of the absolute value of the gamma function.

    On NumPy arrays it needs SciPy (``pip install "tracegrad[special]"``).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``log(abs(gamma(x)))``; its gradient is ``digamma(x)``.
    """
    return LGamma().apply((x,))[0]


def digamma(x) -> Variable:
    """Elementwise digamma function, the derivative of ``lgamma``.

    On NumPy arrays it needs SciPy.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``digamma(x)``; its gradient is ``polygamma(1, x)``.
    """
    return DiGamma().apply((x,))[0]


def polygamma(n, x) -> Variable:
    """Elementwise polygamma function: the ``n``-th derivative of ``digamma``.

    On NumPy arrays it needs SciPy.

    Args:
        n (Variable or array): orders, an integer array (0 gives digamma); it broadcasts
            with ``x`` and gets no gradient.
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``polygamma(n, x)`` of ``x``'s dtype.
    """
    return PolyGamma().apply((n, x))[0]
