"""``sparse_matmul``: products of a sparse COO matrix and a dense one.

Two nodes, each differentiated with the other:

* :class:`CooMatMul` ``C = A @ X`` with ``A`` sparse: the rows of ``X`` named by
  the column indices are gathered, scaled by the entries and scatter-added
  into the rows of ``C`` named by the row indices (cost ``nnz * n``);
* :class:`CooMatMulGradSP` ``s_i = P[row_i] . Q[col_i]``: the entries of the
  dense product ``P @ Q.T`` at the sparse positions only, which is the
  gradient with respect to the entries of ``A``.

Gather and scatter-add are primitives of the compiler, so both trace. The
indices are constants; entries with a negative index are padding, contribute
nothing and get a zero gradient.
"""
from __future__ import annotations

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.utils.sparse import CooMatrix
from tracegrad.variable import Variable

__all__ = ['sparse_matmul']


class _Pattern:
    """The positions of a (batch of) sparse ``(m, k)`` matrices, as flat row numbers.

    ``out_rows`` number the rows of ``(nb * m, n)`` and ``in_rows`` those of
    ``(nb * k, n)`` (matrix ``b`` starts at row ``b * m``, resp. ``b * k``);
    padding entries point at row 0 and are masked by ``valid``.
    """

    def __init__(self, row, col, shape: tuple, transposed: _Pattern | None = None):
        self.row, self.col, self.shape = row, col, shape
        self.batch = row.shape[0] if row.ndim == 2 else None
        self._transposed = transposed
        if transposed is not None:  # the same entries, the roles of the indices swapped
            self.valid = transposed.valid
            self.out_rows, self.in_rows = transposed.in_rows, transposed.out_rows
            return
        xp = get_array_module(row)
        m, k = shape
        self.valid = ((row >= 0) & (col >= 0)).reshape(-1)
        first = 0 if self.batch is None else xp.arange(self.batch).reshape(-1, 1)
        self.out_rows = xp.where(self.valid, (row + first * m).reshape(-1), 0).astype(numpy.int32)
        self.in_rows = xp.where(self.valid, (col + first * k).reshape(-1), 0).astype(numpy.int32)

    __hash__ = None  # one per call: type checks must not be cached under it

    def transposed(self) -> _Pattern:
        if self._transposed is None:
            self._transposed = _Pattern(self.col, self.row, self.shape[::-1], self)
        return self._transposed

    def lead(self) -> tuple:
        return () if self.batch is None else (self.batch,)

    def expect_dense(self, t, axis: int, size: int) -> None:
        """Expect ``t`` to be a dense operand of this batch whose ``axis`` has ``size``."""
        type_check.expect(t.ndim == self.row.ndim + 1)
        if self.batch is not None:
            type_check.expect(t.shape[0] == self.batch)
        type_check.expect(t.shape[axis] == size)


def _swap(a, swap: bool):
    return a.swapaxes(-1, -2) if swap else a


class CooMatMul(FunctionNode):
    """``C = T_c(A @ T_b(D))`` for sparse ``A`` (entries ``sp``) and dense ``D``.

    ``T_b`` / ``T_c`` transpose the last two axes when ``transb`` / ``transc``.
    """

    def __init__(self, pattern: _Pattern, transb: bool = False, transc: bool = False):
        self.pattern = pattern
        self.transb = transb
        self.transc = transc

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('sp', 'dn'))
        sp, dn = in_types
        type_check.expect(sp.dtype.kind == 'f', dn.dtype == sp.dtype,
                          sp.shape == self.pattern.row.shape)
        # dn's axis of length k (A's columns) is its rows unless transposed
        self.pattern.expect_dense(dn, -1 if self.transb else -2, self.pattern.shape[1])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        sp, dn = inputs
        xp = get_array_module(sp, dn)
        p = self.pattern
        m = p.shape[0]
        dense = _swap(dn, self.transb)
        n = dense.shape[-1]
        picked = xp.take(dense.reshape(-1, n), p.in_rows, axis=0)
        scale = xp.where(p.valid, sp.reshape(-1), sp.dtype.type(0))
        out = xp.zeros(((p.batch or 1) * m, n), dtype=sp.dtype)
        xp.add.at(out, p.out_rows, picked * scale[:, None])
        return _swap(out.reshape(p.lead() + (m, n)), self.transc),

    def backward(self, indexes, grad_outputs):
        sp, dn = self.get_retained_inputs()
        gc, = grad_outputs
        p = self.pattern
        ret = []
        if 0 in indexes:
            ret.append(CooMatMulGradSP(p, self.transc, self.transb).apply((gc, dn))[0])
        if 1 in indexes:
            ret.append(CooMatMul(p.transposed(), self.transc, self.transb).apply((sp, gc))[0])
        return ret


class CooMatMulGradSP(FunctionNode):
    """``s_i = T_p(P)[row_i] . T_q(Q)[col_i]``: ``T_p(P) @ T_q(Q).T`` at ``A``'s entries."""

    def __init__(self, pattern: _Pattern, transp: bool = False, transq: bool = False):
        self.pattern = pattern
        self.transp = transp
        self.transq = transq

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('p', 'q'))
        p, q = in_types
        type_check.expect(p.dtype.kind == 'f', q.dtype == p.dtype)
        m, k = self.pattern.shape
        self.pattern.expect_dense(p, -1 if self.transp else -2, m)
        self.pattern.expect_dense(q, -1 if self.transq else -2, k)
        n_axis_p, n_axis_q = (-2 if self.transp else -1), (-2 if self.transq else -1)
        type_check.expect(p.shape[n_axis_p] == q.shape[n_axis_q])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        p_in, q_in = inputs
        xp = get_array_module(p_in, q_in)
        p = self.pattern
        left, right = _swap(p_in, self.transp), _swap(q_in, self.transq)
        n = left.shape[-1]
        products = (xp.take(left.reshape(-1, n), p.out_rows, axis=0)
                    * xp.take(right.reshape(-1, n), p.in_rows, axis=0)).sum(axis=1)
        return xp.where(p.valid, products, p_in.dtype.type(0)).reshape(p.row.shape),

    def backward(self, indexes, grad_outputs):
        p_in, q_in = self.get_retained_inputs()
        gs, = grad_outputs
        p = self.pattern
        ret = []
        if 0 in indexes:  # T_p(gP) = A(gs) @ T_q(Q)
            ret.append(CooMatMul(p, self.transq, self.transp).apply((gs, q_in))[0])
        if 1 in indexes:  # T_q(gQ) = A(gs).T @ T_p(P)
            ret.append(CooMatMul(p.transposed(), self.transp, self.transq).apply((gs, p_in))[0])
        return ret


def sparse_matmul(a, b, transa: bool = False, transb: bool = False) -> Variable:
    """Multiply a sparse matrix and a dense one (or batches of them).

    One operand is a :class:`~tracegrad.utils.CooMatrix` and the other a dense
    Variable or array: ``C = op(a) @ op(b)``, where ``op`` transposes the
    (last two axes of the) operand when ``transa`` / ``transb`` is True.
    A batched sparse operand (2-D ``data``) goes with a 3-D dense one of the
    same batch size; otherwise the dense operand is a matrix.

    Gradients reach the dense operand and the sparse operand's ``data``
    (not its indices). If the two dtypes differ, the product has their
    common dtype.

    Args:
        a (~tracegrad.utils.CooMatrix, Variable or array): the left operand.
        b (~tracegrad.utils.CooMatrix, Variable or array): the right operand.
        transa (bool): transpose ``a``.
        transb (bool): transpose ``b``.

    Returns:
        ~tracegrad.Variable: the dense product.

    >>> a = chainer.utils.to_coo(np.array([[0, 2, 0], [-1, 0, 0]], np.float32))
    >>> b = np.arange(6, dtype=np.float32).reshape(3, 2)
    >>> F.sparse_matmul(a, b)
    variable([[ 4.,  6.],
              [ 0., -1.]])
    >>> F.sparse_matmul(b, a, transa=True, transb=True)
    variable([[ 4.,  0.],
              [ 6., -1.]])
    """
    if isinstance(a, CooMatrix) and _is_dense(b):
        sparse, dense = a, b
        pattern = _Pattern(a.row, a.col, a.shape)
        if transa:
            pattern = pattern.transposed()
        transd, transc = transb, False
    elif _is_dense(a) and isinstance(b, CooMatrix):
        # a @ op(b) = (op(b).T @ a.T).T
        sparse, dense = b, a
        pattern = _Pattern(b.row, b.col, b.shape)
        if not transb:
            pattern = pattern.transposed()
        transd, transc = not transa, True
    else:
        raise ValueError('sparse_matmul: one operand must be a CooMatrix and the other a '
                         f'Variable or an array, got {type(a).__name__} and {type(b).__name__}')
    data = sparse.data
    dtype = numpy.result_type(data.dtype, dense.dtype)
    if data.dtype.kind == dense.dtype.kind == 'f' and data.dtype != dense.dtype:
        from tracegrad.functions.array.cast import cast
        data, dense = cast(data, dtype), cast(dense, dtype)
    return CooMatMul(pattern, transd, transc).apply((data, dense))[0]


def _is_dense(x) -> bool:
    """A Variable or an array (of any namespace, the tracer's included)."""
    return not isinstance(x, CooMatrix) and hasattr(x, 'shape') and hasattr(x, 'dtype')
