"""The Hurwitz zeta function ``zeta(x, q)`` (SciPy's special functions on NumPy,
``cupyx.scipy.special`` on CuPy)."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.functions.math.special import special
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['zeta']


class Zeta(FunctionNode):
    """``sum_k (q + k) ** -x`` as a function of ``q``; the exponent ``x`` is a constant."""

    def __init__(self, x):
        self.x = x

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('q',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    def forward(self, inputs):
        self.retain_inputs((0,))
        q, = inputs
        return special('zeta', 'zeta', self.x, q).astype(q.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        q, = self.get_retained_inputs()
        # d/dq zeta(x, q) = -x zeta(x + 1, q)
        scale = q.xp.asarray(self.x, dtype=q.dtype)
        return grad_outputs[0] * zeta(self.x + 1, q) * -scale,


def zeta(x, q) -> Variable:
    """Elementwise Hurwitz zeta function, :math:`\\sum_{k=0}^\\infty (q + k)^{-x}`.

    Differentiable with respect to ``q`` only. On NumPy arrays it needs SciPy
    (``pip install "tracegrad[special]"``).

    Args:
        x (float or array): the exponent (greater than 1), a constant.
        q (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``zeta(x, q)`` of ``q``'s dtype.
    """
    if isinstance(x, Variable):
        x = x.array
    return Zeta(x).apply((q,))[0]
