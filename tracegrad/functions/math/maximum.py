"""Elementwise ``maximum`` and ``minimum`` of two arrays (with NumPy broadcasting)."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['maximum', 'minimum']


class _Select(FunctionNode):
    """Pick, per element, one of two arrays; the picked one gets the gradient.

    Ties go to the first input.
    """

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x1', 'x2'))
        x1, x2 = in_types
        type_check.expect(x1.dtype.kind == 'f', x1.dtype == x2.dtype)
        type_check.expect_broadcast_shapes(x1.shape, x2.shape)

    def _first_wins(self, xp, x1, x2):
        raise NotImplementedError

    def forward(self, inputs):
        x1, x2 = inputs
        xp = get_array_module(x1)
        self.retain_inputs((0, 1))
        return xp.where(self._first_wins(xp, x1, x2), x1, x2),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        x1, x2 = self.get_retained_inputs()
        xp = x1.xp
        gy, = grad_outputs
        first = self._first_wins(xp, x1.array, x2.array).astype(gy.dtype)
        ret = []
        if 0 in indexes:
            ret.append(sum_to(gy * first, x1.shape))
        if 1 in indexes:
            ret.append(sum_to(gy * (1 - first), x2.shape))
        return tuple(ret)


class Maximum(_Select):
    def _first_wins(self, xp, x1, x2):
        return x1 >= x2


class Minimum(_Select):
    def _first_wins(self, xp, x1, x2):
        return x1 <= x2


def maximum(x1, x2) -> Variable:
    """Elementwise maximum of two arrays (broadcast together).

    Where they are equal the gradient goes to ``x1``.

    Args:
        x1 (Variable or array): a float array.
        x2 (Variable or array): a float array of the same dtype.

    Returns:
        ~tracegrad.Variable: the larger of each pair.

    >>> x1 = np.arange(6).astype(np.float32)
    >>> x1
    array([0., 1., 2., 3., 4., 5.], dtype=float32)
    >>> x2 = np.array([5, 4, 3, 2, 1, 0]).astype(np.float32)
    >>> x2
    array([5., 4., 3., 2., 1., 0.], dtype=float32)
    >>> y = F.maximum(x1, x2)
    >>> y.shape
    (6,)
    >>> y.array
    array([5., 4., 3., 3., 4., 5.], dtype=float32)
    """
    return Maximum().apply((x1, x2))[0]


def minimum(x1, x2) -> Variable:
    """Elementwise minimum of two arrays (broadcast together).

    Where they are equal the gradient goes to ``x1``.

    Args:
        x1 (Variable or array): a float array.
        x2 (Variable or array): a float array of the same dtype.

    Returns:
        ~tracegrad.Variable: the smaller of each pair.

    >>> x1 = np.arange(6).astype(np.float32)
    >>> x2 = np.array([5, 4, 3, 2, 1, 0]).astype(np.float32)
    >>> F.minimum(x1, x2).array
    array([0., 1., 2., 2., 1., 0.], dtype=float32)
    """
    return Minimum().apply((x1, x2))[0]
