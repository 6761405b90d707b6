"""Matrix products: ``matmul`` (stacks of matrices broadcast like NumPy's ``matmul``) and
the deprecated ``batch_matmul`` (a batch of matrices, or of column vectors)."""
from __future__ import annotations

import warnings

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['batch_matmul', 'matmul']


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


def _as_batch_of_matrices(shape: tuple) -> tuple:
    """A (B, N) batch is B column vectors: (B, N, 1)."""
    return tuple(shape) + (1,) if len(shape) == 2 else tuple(shape)


class BatchMatMul(FunctionNode):
    """``op(a[i]) @ op(b[i])`` for each i of a float32 batch; 2-D inputs are column vectors."""

    def __init__(self, transa: bool = False, transb: bool = False):
        self.transa = bool(transa)
        self.transb = bool(transb)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('a', 'b'))
        a, b = in_types
        type_check.expect(a.dtype == numpy.float32, b.dtype == numpy.float32,
                          a.ndim >= 2, a.ndim <= 3, b.ndim >= 2, b.ndim <= 3,
                          a.shape[0] == b.shape[0])
        a_shape = _as_batch_of_matrices(a.shape.eval())
        b_shape = _as_batch_of_matrices(b.shape.eval())
        a_inner = a_shape[1] if self.transa else a_shape[2]
        b_inner = b_shape[2] if self.transb else b_shape[1]
        if a_inner != b_inner:
            raise type_check.InvalidType(
                'the inner sizes of op(a) and op(b) to match',
                f'a.shape={a_shape[1:]} (as matrices, transa={self.transa}), '
                f'b.shape={b_shape[1:]} (transb={self.transb})')

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        a, b = inputs
        xp = get_array_module(a)
        a = a.reshape(_as_batch_of_matrices(a.shape))
        b = b.reshape(_as_batch_of_matrices(b.shape))
        return xp.matmul(_t(a) if self.transa else a, _t(b) if self.transb else b),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape

        a, b = self.get_retained_inputs()
        gy, = grad_outputs
        a3 = reshape(a, _as_batch_of_matrices(a.shape))
        b3 = reshape(b, _as_batch_of_matrices(b.shape))
        ta, tb = self.transa, self.transb
        ret = []
        if 0 in indexes:
            ga = MatMul(tb, True).apply((b3, gy))[0] if ta else \
                MatMul(False, not tb).apply((gy, b3))[0]
            ret.append(reshape(ga, a.shape))
        if 1 in indexes:
            gb = MatMul(True, ta).apply((gy, a3))[0] if tb else \
                MatMul(not ta, False).apply((a3, gy))[0]
            ret.append(reshape(gb, b.shape))
        return tuple(ret)


def batch_matmul(a, b, transa: bool = False, transb: bool = False) -> Variable:
    """Matrix products of two batches of matrices, one product per batch element.

    .. deprecated:: Chainer v3
       Use :func:`matmul`, which broadcasts stacks of matrices. This function
       warns with a ``DeprecationWarning``, as Chainer's does.

    Args:
        a (Variable or array): float32, of shape ``(B, M, N)`` (B matrices) or
            ``(B, N)`` (B column vectors of length N).
        b (Variable or array): float32, read as ``a`` is.
        transa (bool): transpose each matrix of ``a`` first.
        transb (bool): transpose each matrix of ``b`` first.

    Returns:
        ~tracegrad.Variable: the ``B`` products, a 3-D array.
    """
    warnings.warn('batch_matmul is deprecated. Use matmul instead.', DeprecationWarning,
                  stacklevel=2)
    return BatchMatMul(transa, transb).apply((a, b))[0]
