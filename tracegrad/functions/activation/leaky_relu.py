"""Leaky rectified linear unit: ``leaky_relu``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['leaky_relu']


class LeakyReLU(FunctionNode):
    """``x`` where ``x > 0``, ``slope * x`` elsewhere."""

    def __init__(self, slope: float = 0.2):
        self.slope = slope

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    def forward(self, inputs):
        x, = inputs
        # With a non-negative slope the output has the sign of the input, so
        # the output alone tells backward where x > 0.
        self.retain_outputs((0,)) if self.slope >= 0 else self.retain_inputs((0,))
        return get_array_module(x).where(x > 0, x, x * x.dtype.type(self.slope)),

    def backward(self, indexes, grad_outputs):
        if self.slope >= 0:
            sign_source, = self.get_retained_outputs()
        else:
            sign_source, = self.get_retained_inputs()
        return LeakyReLUGrad(sign_source.array > 0, self.slope).apply(grad_outputs)


class LeakyReLUGrad(FunctionNode):
    """``gy`` where the input was positive, ``slope * gy`` elsewhere (a linear map of gy)."""

    def __init__(self, positive, slope: float):
        self.positive = positive
        self.slope = slope

    def forward(self, inputs):
        gy, = inputs
        return get_array_module(gy).where(self.positive, gy, gy * gy.dtype.type(self.slope)),

    def backward(self, indexes, grad_outputs):
        return LeakyReLUGrad(self.positive, self.slope).apply(grad_outputs)


def leaky_relu(x, slope=0.2) -> Variable:
    """Leaky ReLU: ``f(x) = x`` for ``x > 0`` and ``slope * x`` otherwise.

    Args:
        x (Variable or array): a float array of any shape.
        slope (float): the slope :math:`a` for non-positive inputs.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.

    >>> x = np.array([[-1, 0], [2, -3], [-2, 1]], np.float32)
    >>> x
    array([[-1.,  0.],
           [ 2., -3.],
           [-2.,  1.]], dtype=float32)
    >>> F.leaky_relu(x, slope=0.2).array
    array([[-0.2,  0. ],
           [ 2. , -0.6],
           [-0.4,  1. ]], dtype=float32)
    """
    return LeakyReLU(slope).apply((x,))[0]
