"""Exponential linear units: ``elu`` and its self-normalising scaling ``selu``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['elu', 'selu']


class ELU(FunctionNode):
    """``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        self.retain_outputs((0,))
        if self.alpha < 0:  # then the output's sign no longer tells where x > 0
            self.retain_inputs((0,))
        # expm1 of min(x, 0): the positive branch never overflows.
        neg = x.dtype.type(self.alpha) * xp.expm1(xp.minimum(x, 0))
        return xp.where(x > 0, x, neg),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        sign_source = self.get_retained_inputs()[0] if self.alpha < 0 else y
        slope = ELUSlope(self.alpha, sign_source.array > 0).apply((y,))[0]
        return slope * grad_outputs[0],


class ELUSlope(FunctionNode):
    """The derivative of ELU from its output: 1 where x > 0, ``y + alpha`` elsewhere."""

    def __init__(self, alpha: float, positive):
        self.alpha = alpha
        self.positive = positive

    def forward(self, inputs):
        y, = inputs
        return get_array_module(y).where(self.positive, y.dtype.type(1),
                                         y + y.dtype.type(self.alpha)),

    def backward(self, indexes, grad_outputs):
        xp = get_array_module(self.positive)
        g, = grad_outputs
        return g * xp.logical_not(self.positive).astype(g.dtype),


def elu(x, alpha=1.0) -> Variable:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    See https://arxiv.org/abs/1511.07289.

    Args:
        x (Variable or array): a float array of any shape.
        alpha (float): the scale :math:`\\alpha` of the negative branch.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.

    >>> x = np.array([[-1, 0], [2, -3]], np.float32)
    >>> x
    array([[-1.,  0.],
           [ 2., -3.]], dtype=float32)
    >>> y = F.elu(x, alpha=1.)
    >>> y.array
    array([[-0.63212055,  0.        ],
           [ 2.        , -0.95021296]], dtype=float32)
    """
    return ELU(alpha).apply((x,))[0]


def selu(x, alpha=1.6732632423543772848170429916717,
         scale=1.0507009873554804934193349852946) -> Variable:
    """Scaled exponential linear unit: ``scale * elu(x, alpha)``.

    The default constants make activations self-normalising
    (https://arxiv.org/abs/1706.02515).

    Args:
        x (Variable or array): a float array of any shape.
        alpha (float): the :math:`\\alpha` of the inner ELU.
        scale (float): the factor :math:`\\lambda` applied to the ELU.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.
    """
    return scale * elu(x, alpha=alpha)
