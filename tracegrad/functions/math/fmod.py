"""``fmod``: the remainder of a division truncated toward zero, and ``sign``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable, as_variable

__all__ = ['fmod', 'sign']


class Fmod(FunctionNode):
    """``x - fix(x / divisor) * divisor``: d/dx = 1, d/ddivisor = -fix(x / divisor)."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'divisor'))
        x, divisor = in_types
        type_check.expect(x.dtype.kind == 'f', x.dtype == divisor.dtype)
        type_check.expect_broadcast_shapes(x.shape, divisor.shape)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, divisor = inputs
        return get_array_module(x).fmod(x, divisor),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.rounding import fix
        from tracegrad.functions.math.sum import sum_to

        x, divisor = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(sum_to(gy, x.shape))
        if 1 in indexes:
            ret.append(sum_to(-fix(x / divisor) * gy, divisor.shape))
        return tuple(ret)


def fmod(x, divisor) -> Variable:
    """Elementwise remainder of ``x / divisor`` with the sign of ``x`` (C's ``fmod``).

    Args:
        x (Variable or array): dividends, a float array.
        divisor (Variable or array): divisors, of ``x``'s dtype; the two broadcast.

    Returns:
        ~tracegrad.Variable: ``x - fix(x / divisor) * divisor``.

    >>> F.fmod(np.array([5., -5.]), np.array([3., 3.])).array
    array([ 2., -2.])
    """
    return Fmod().apply((x, divisor))[0]


def sign(x) -> Variable:
    """Elementwise sign: -1, 0 or 1 (of ``x``'s dtype).

    The result has no gradient: it is a new Variable outside the graph, as in Chainer.

    Args:
        x (Variable or array): the input array.

    Returns:
        ~tracegrad.Variable: ``sign(x)``, with ``requires_grad`` False.

    >>> F.sign(np.array([-2., 0., 3.])).array
    array([-1.,  0.,  1.])
    """
    if isinstance(x, Variable):
        x = x.array
    return as_variable(get_array_module(x).sign(x))
