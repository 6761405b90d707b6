"""The inverse of (batches of) lower-triangular matrices, differentiable twice and more.

MultivariateNormal needs :math:`L^{-1}` of its scale factor for ``log_prob`` and
the KL divergence. ``F.inv`` calls ``xp.linalg``, which cannot be traced; this node
computes it by forward substitution, one matrix product per row, with array
operations that trace.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check

__all__ = ['lower_triangular_inverse']


def _lower_mask(xp, d: int, dtype):
    index = xp.arange(d)
    return (index[:, None] >= index[None, :]).astype(dtype)


class LowerTriangularInverse(FunctionNode):
    """``Y = L^{-1}`` for lower-triangular ``L`` of shape ``(..., d, d)``; the entries
    above the diagonal are not read."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('L',))
        m, = in_types
        type_check.expect(m.dtype.kind == 'f', m.ndim >= 2, m.shape[-1] == m.shape[-2])

    def forward(self, inputs):
        m, = inputs
        xp = get_array_module(m)
        d = m.shape[-1]
        eye = xp.eye(d, dtype=m.dtype)
        rows = []
        # row i of Y: (e_i - L[i, :i] @ Y[:i]) / L[i, i]
        for i in range(d):
            row = xp.broadcast_to(eye[i], m.shape[:-2] + (d,))
            if i:
                above = xp.stack(rows, axis=-2)  # (..., i, d)
                row = row - xp.matmul(m[..., i:i + 1, :i], above)[..., 0, :]
            rows.append(row / m[..., i, i:i + 1])
        self.retain_outputs((0,))
        return xp.stack(rows, axis=-2),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.matmul import matmul

        y, = self.get_retained_outputs()
        gy, = grad_outputs
        # dY = -Y dL Y, so dL = -Y^T gY Y^T, restricted to the lower triangle read.
        gl = -matmul(matmul(y, gy, transa=True), y, transb=True)
        return gl * _lower_mask(y.xp, y.shape[-1], y.dtype),


def lower_triangular_inverse(m):
    """The inverse of each lower-triangular matrix in ``m`` (shape ``(..., d, d)``).

    Args:
        m (Variable or array): lower-triangular matrices with nonzero diagonals;
            the entries above the diagonal are ignored (and get zero gradient).

    Returns:
        ~tracegrad.Variable: the inverses, lower-triangular, of the shape of ``m``.
    """
    return LowerTriangularInverse().apply((m,))[0]
