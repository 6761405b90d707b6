"""Hyperbolic tangent: ``tanh``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['tanh']


class Tanh(FunctionNode):
    """Elementwise ``tanh(x)``."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    def forward(self, inputs):
        x, = inputs
        self.retain_outputs((0,))
        return get_array_module(x).tanh(x),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return TanhGrad().apply((y, grad_outputs[0]))


class TanhGrad(FunctionNode):
    """``gy * (1 - y**2)`` from the tanh output ``y`` and upstream ``gy``."""

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        y, gy = inputs
        return gy * (y.dtype.type(1) - y * y),

    def backward(self, indexes, grad_outputs):
        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        y_ggx = y * ggx
        return -2 * gy * y_ggx, ggx - y * y_ggx


def tanh(x) -> Variable:
    """Elementwise hyperbolic tangent.

    Args:
        x (Variable or array): a float array of any shape.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype, in ``(-1, 1)``.

    >>> x = np.arange(-1, 4, 2).astype(np.float32)
    >>> x
    array([-1.,  1.,  3.], dtype=float32)
    >>> F.tanh(x).array
    array([-0.7615942,  0.7615942,  0.9950548], dtype=float32)
    """
    return Tanh().apply((x,))[0]
