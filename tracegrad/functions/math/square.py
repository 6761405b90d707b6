"""Elementwise ``square``."""
from __future__ import annotations

from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.variable import Variable

__all__ = ['square']


class Square(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return x * x,

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * (x * 2.0),


def square(x) -> Variable:
    """Elementwise square, :math:`x^2`.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``x * x``.

    >>> x = np.arange(6).reshape(2,3).astype(np.float32)
    >>> x
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    >>> y = F.square(x)
    >>> y.shape
    (2, 3)
    >>> y.array
    array([[ 0.,  1.,  4.],
           [ 9., 16., 25.]], dtype=float32)
    """
    return Square().apply((x,))[0]
