"""Rounding to integral values: ``floor``, ``ceil``, ``fix`` (no gradients).

The results keep the input's float dtype. They have no gradient: the input
gets none through them.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.variable import Variable

__all__ = ['ceil', 'fix', 'floor']


class Round(FloatUnary):
    """Rounding with ``xp.floor``, ``xp.ceil`` or ``xp.fix`` (toward zero)."""

    def __init__(self, op: str):
        self.op = op

    @property
    def label(self) -> str:
        return self.op

    def forward(self, inputs):
        x, = inputs
        return getattr(get_array_module(x), self.op)(x),

    def backward(self, indexes, grad_outputs):
        return None,


def floor(x) -> Variable:
    """Elementwise floor: the largest integral value not above ``x``.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``floor(x)`` of ``x``'s dtype; it has no gradient.

    >>> F.floor(np.array([-1.5, 0.5, 2.], np.float32)).array
    array([-2.,  0.,  2.], dtype=float32)
    """
    return Round('floor').apply((x,))[0]


def ceil(x) -> Variable:
    """Elementwise ceiling: the smallest integral value not below ``x``.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``ceil(x)`` of ``x``'s dtype; it has no gradient.

    >>> F.ceil(np.array([-1.5, 0.5, 2.], np.float32)).array
    array([-1.,  1.,  2.], dtype=float32)
    """
    return Round('ceil').apply((x,))[0]


def fix(x) -> Variable:
    """Elementwise rounding toward zero.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``fix(x)`` of ``x``'s dtype; it has no gradient.

    >>> F.fix(np.array([-1.5, 0.5, 2.], np.float32)).array
    array([-1.,  0.,  2.], dtype=float32)
    """
    return Round('fix').apply((x,))[0]
