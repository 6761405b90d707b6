"""``add``: the sum of two or more arrays, elementwise."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable, as_variable

__all__ = ['add']


class MultiAdd(FunctionNode):
    """``x0 + x1 + ...`` of arrays of one dtype, broadcast together."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, tuple(f'x{i}' for i in range(len(in_types))))
        for t in in_types[1:]:
            type_check.expect(t.dtype == in_types[0].dtype)
        type_check.expect_broadcast_shapes(*[t.shape for t in in_types])

    def forward(self, inputs):
        self.in_shapes = tuple(x.shape for x in inputs)
        y = inputs[0]
        for x in inputs[1:]:
            y = y + x
        return y if len(inputs) > 1 else y.copy(),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        gy, = grad_outputs
        return tuple(gy if self.in_shapes[i] == gy.shape else sum_to(gy, self.in_shapes[i])
                     for i in indexes)


def add(*xs) -> Variable:
    """Elementwise sum of the arguments.

    Two arguments add as ``lhs + rhs`` does (the second may be a scalar);
    one, or more than two, must be arrays or Variables of one dtype whose
    shapes broadcast together.

    Args:
        xs (Variables, arrays or a scalar second operand): the terms.

    Returns:
        ~tracegrad.Variable: their sum.

    >>> F.add(np.array([1., 2.], np.float32), np.array([3., 4.], np.float32),
    ...       np.array([5., 6.], np.float32)).array
    array([ 9., 12.], dtype=float32)
    """
    if not xs:
        raise TypeError('add: at least one input is needed')
    if len(xs) == 2:
        return as_variable(xs[0]) + xs[1]
    return MultiAdd().apply(xs)[0]
