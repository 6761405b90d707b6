"""Concatenated ReLU: ``crelu``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['crelu']


def _halves(a, axis: int):
    """The first and second half of ``a`` along ``axis``."""
    n = a.shape[axis] // 2
    lead = (slice(None),) * axis
    return a[lead + (slice(None, n),)], a[lead + (slice(n, None),)]


class CReLU(FunctionNode):
    """``concat(max(x, 0), max(-x, 0))`` along ``axis``."""

    def __init__(self, axis: int = 1):
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(x.dtype.kind == 'f', x.ndim > self.axis, x.ndim >= -self.axis)

    def forward(self, inputs):
        x, = inputs
        self.retain_inputs((0,))
        xp = get_array_module(x)
        return xp.concatenate([xp.maximum(x, 0), xp.maximum(-x, 0)], axis=self.axis),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        x = x.array
        axis = self.axis % x.ndim
        return CReLUGrad(x > 0, x < 0, axis).apply(grad_outputs)


class CReLUGrad(FunctionNode):
    """``gy_first * (x > 0) - gy_second * (x < 0)``: a linear map of ``gy``."""

    def __init__(self, positive, negative, axis: int):
        self.positive = positive
        self.negative = negative
        self.axis = axis

    def forward(self, inputs):
        first, second = _halves(inputs[0], self.axis)
        return first * self.positive - second * self.negative,

    def backward(self, indexes, grad_outputs):
        return CReLUGradTranspose(self.positive, self.negative, self.axis).apply(grad_outputs)


class CReLUGradTranspose(FunctionNode):
    """The transpose of :class:`CReLUGrad`: ``concat(g * (x > 0), -g * (x < 0))``."""

    def __init__(self, positive, negative, axis: int):
        self.positive = positive
        self.negative = negative
        self.axis = axis

    def forward(self, inputs):
        g, = inputs
        xp = get_array_module(g)
        return xp.concatenate([g * self.positive, -(g * self.negative)], axis=self.axis),

    def backward(self, indexes, grad_outputs):
        return CReLUGrad(self.positive, self.negative, self.axis).apply(grad_outputs)


def crelu(x, axis=1) -> Variable:
    """Concatenated ReLU: ``max(0, x)`` and ``max(0, -x)`` joined along ``axis``.

    See https://arxiv.org/abs/1603.05201.

    Args:
        x (Variable or array): a float array.
        axis (int): the axis to concatenate along; its length doubles.

    Returns:
        ~tracegrad.Variable: output whose ``axis`` is twice as long as in ``x``.

    >>> x = np.array([[-1, 0], [2, -3]], np.float32)
    >>> x
    array([[-1.,  0.],
           [ 2., -3.]], dtype=float32)
    >>> y = F.crelu(x, axis=1)
    >>> y.array
    array([[0., 0., 1., 0.],
           [2., 0., 0., 3.]], dtype=float32)
    """
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f'crelu: axis must be an int, got {type(axis).__name__}')
    return CReLU(axis).apply((x,))[0]
