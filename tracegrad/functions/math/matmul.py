"""Matrix products: ``matmul`` (stacks of matrices broadcast like NumPy's ``matmul``)."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['matmul']


def _t(a):
    """The matrices of a stack, transposed (a view)."""
    return a.swapaxes(-1, -2)


class MatMul(FunctionNode):
    """``op(a) @ op(b)`` for stacks of matrices (ndim >= 2), ``op`` transposing if asked.

    Leading (batch) axes broadcast; each gradient is summed back to its input's shape.
    """

    def __init__(self, transa: bool = False, transb: bool = False):
        self.transa = transa
        self.transb = transb

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('a', 'b'))
        a, b = in_types
        type_check.expect(a.dtype.kind == 'f', a.dtype == b.dtype, a.ndim >= 2, b.ndim >= 2)
        a_inner = a.shape[-2] if self.transa else a.shape[-1]
        b_inner = b.shape[-1] if self.transb else b.shape[-2]
        type_check.expect(a_inner == b_inner)
        type_check.expect_broadcast_shapes(a.shape[:-2], b.shape[:-2])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        a, b = inputs
        xp = get_array_module(a)
        return xp.matmul(_t(a) if self.transa else a, _t(b) if self.transb else b),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        a, b = self.get_retained_inputs()
        gy, = grad_outputs
        ta, tb = self.transa, self.transb
        ret = []
        if 0 in indexes:
            # y = op(a) op(b): d op(a) = gy op(b)^T, and op(a) = a^T means da = op(b) gy^T.
            if ta:
                ga = MatMul(tb, True).apply((b, gy))[0]
            else:
                ga = MatMul(False, not tb).apply((gy, b))[0]
            ret.append(sum_to(ga, a.shape))
        if 1 in indexes:
            if tb:
                gb = MatMul(True, ta).apply((gy, a))[0]
            else:
                gb = MatMul(not ta, False).apply((a, gy))[0]
            ret.append(sum_to(gb, b.shape))
        return tuple(ret)


def matmul(a, b, transa: bool = False, transb: bool = False) -> Variable:
    """Matrix product of two arrays (NumPy's ``matmul`` rules).

    Two 1-D arrays give their dot product; 2-D arrays multiply as matrices;
    arrays of more dimensions are stacks of matrices in their last two axes,
    and the leading axes broadcast. A 1-D ``a`` (``b``) acts as a row (column)
    vector, and that axis is dropped from the result.

    Args:
        a (Variable or array): the left operand.
        b (Variable or array): the right operand, of the same float dtype.
        transa (bool): transpose each matrix of ``a`` first (no effect if 1-D).
        transb (bool): transpose each matrix of ``b`` first (no effect if 1-D).

    Returns:
        ~tracegrad.Variable: the product.

    >>> a = np.array([[1, 0], [0, 1]], np.float32)
    >>> b = np.array([[4, 1], [2, 2]], np.float32)
    >>> F.matmul(a, b).array
    array([[4., 1.],
           [2., 2.]], dtype=float32)
    """
    a_vec = a.ndim == 1
    b_vec = b.ndim == 1
    if not (a_vec or b_vec):
        return MatMul(transa, transb).apply((a, b))[0]
    # Vectors become 1 x k / k x 1 matrices, and the added axes are dropped after.
    from tracegrad.functions.math.sum import broadcast_reduced
    from tracegrad.functions.math.sum import sum as _sum

    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f'matmul: operands must have ndim >= 1, '
                         f'got a.shape={a.shape} and b.shape={b.shape}')
    if a_vec:
        a, transa = broadcast_reduced(a, (1,) + a.shape, (0,)), False
    if b_vec:
        b, transb = broadcast_reduced(b, b.shape + (1,), (1,)), False
    y = MatMul(transa, transb).apply((a, b))[0]
    drop = ((-2,) if a_vec else ()) + ((-1,) if b_vec else ())
    return _sum(y, axis=drop)
