"""``linear_interpolate``: ``p * x + (1 - p) * y``, elementwise."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['linear_interpolate']


class LinearInterpolate(FunctionNode):
    """``p x + (1 - p) y`` for three arrays of one shape and float dtype."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('p', 'x', 'y'))
        p, x, y = in_types
        type_check.expect(p.dtype.kind == 'f', x.dtype == p.dtype, y.dtype == p.dtype,
                          x.shape == p.shape, y.shape == p.shape)

    def forward(self, inputs):
        self.retain_inputs((0, 1, 2))
        p, x, y = inputs
        return p * x + (p.dtype.type(1) - p) * y,

    def backward(self, indexes, grad_outputs):
        p, x, y = self.get_retained_inputs()
        gz, = grad_outputs
        grads = {0: lambda: gz * (x - y), 1: lambda: gz * p, 2: lambda: gz * (1 - p)}
        return tuple(grads[i]() for i in indexes)


def linear_interpolate(p, x, y) -> Variable:
    """Elementwise linear interpolation ``p * x + (1 - p) * y``.

    Args:
        p (Variable or array): the weights of ``x`` (float).
        x (Variable or array): the values at ``p = 1``, same shape and dtype.
        y (Variable or array): the values at ``p = 0``, same shape and dtype.

    Returns:
        ~tracegrad.Variable: the interpolated values.

    >>> p = np.array([0., 0.25, 1.], np.float32)
    >>> F.linear_interpolate(p, np.full(3, 4., np.float32), np.zeros(3, np.float32)).array
    array([0., 1., 4.], dtype=float32)
    """
    return LinearInterpolate().apply((p, x, y))[0]
