"""Rectified linear unit: ``relu``.

ReLU is the op the eager-overhead benchmark measures, so its path is kept short:
one ufunc forward, only the output's array kept, and a gradient node that masks
the upstream gradient with ``y > 0``.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['relu']


class ReLU(FunctionNode):
    """Rectified linear unit, ``max(x, 0)``."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    def forward(self, inputs):
        x, = inputs
        # A Python float keeps x's dtype and is the cheapest scalar for NumPy to take.
        # The gradient needs only the output's array (a constant mask), so it is
        # kept here rather than retained as a Variable of the graph.
        self.y = get_array_module(x).maximum(x, 0.)
        return self.y,

    def backward(self, indexes, grad_outputs):
        return ReLUGrad(self.y).apply(grad_outputs)


class ReLUGrad(FunctionNode):
    """``gy * (y > 0)`` for a fixed ReLU output ``y``.

    The mask is a constant of this node, so its own gradient is the same mask
    applied again, which makes ReLU differentiable any number of times.
    """

    def __init__(self, y):
        self.y = y

    def forward(self, inputs):
        gy, = inputs
        return gy * (self.y > 0),

    def backward(self, indexes, grad_outputs):
        return ReLUGrad(self.y).apply(grad_outputs)


def relu(x) -> Variable:
    """Rectified linear unit: ``f(x) = max(0, x)``, elementwise.

    Args:
        x (Variable or array): a float array of any shape.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.

    >>> x = np.array([[-1, 0], [2, -3], [-2, 1]], np.float32)
    >>> bool(np.any(x < 0))
    True
    >>> y = F.relu(x)
    >>> bool(np.any(y.array < 0))
    False
    >>> y.shape
    (3, 2)
    """
    return ReLU().apply((x,))[0]
