"""Elementwise choice: ``where``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable


class Where(FunctionNode):
    """``condition ? x : y`` elementwise, with NumPy broadcasting.

    The condition is the first input (a boolean array that gets no gradient),
    so a traced graph keeps it as data rather than as a constant.
    """

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('condition', 'x', 'y'))
        c, x, y = in_types
        type_check.expect(c.dtype.kind == 'b', x.dtype == y.dtype)
        type_check.expect_broadcast_shapes(c.shape, x.shape, y.shape)

    def forward(self, inputs):
        self.retain_inputs((0,))
        c, x, y = inputs
        self._in_shapes = (x.shape, y.shape)
        return get_array_module(*inputs).where(c, x, y),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        c, = self.get_retained_inputs()
        g, = grad_outputs
        zero = g.xp.zeros((), g.dtype)
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(None)
            elif i == 1:
                ret.append(sum_to(where(c, g, zero), self._in_shapes[0]))
            else:
                ret.append(sum_to(where(c, zero, g), self._in_shapes[1]))
        return tuple(ret)


def where(condition, x, y) -> Variable:
    """Choose elements of ``x`` where ``condition`` holds and of ``y`` elsewhere.

    Args:
        condition (Variable or array): a boolean array.
        x (Variable or array): values taken where ``condition`` is True.
        y (Variable or array): values taken where ``condition`` is False
            (same dtype as ``x``). The three shapes broadcast together.

    Returns:
        ~tracegrad.Variable: the chosen values.

    >>> cond = np.array([[1, 0], [0, 1]], dtype=bool)
    >>> cond
    array([[ True, False],
           [False,  True]])
    >>> x = np.array([[1, 2], [3, 4]], np.float32)
    >>> y = np.zeros((2, 2), np.float32)
    >>> F.where(cond, x, y).array
    array([[1., 0.],
           [0., 4.]], dtype=float32)
    """
    if isinstance(condition, Variable):
        condition = condition.array
    return Where().apply((condition, x, y))[0]


__all__ = ['where']
