"""``bilinear``: the bilinear (neural tensor network) layer function."""
from __future__ import annotations

import math

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['bilinear']


def _matrix_shape(shape: tuple) -> tuple:
    """``shape`` with its axes after the first flattened into one (spelled out, not -1,
    so that an empty batch reshapes too)."""
    return shape[0], math.prod(shape[1:])


def _matrix(a):
    """``a`` with its axes after the first flattened into one."""
    return a.reshape(_matrix_shape(a.shape))


class BilinearFunction(FunctionNode):
    """``y[i, l] = sum_{j, k} e1[i, j] e2[i, k] W[j, k, l]`` (+ ``e1 V1 + e2 V2 + b``)."""

    def check_type_forward(self, in_types):
        n_in = type_check.eval(in_types.size())
        type_check._argname(in_types, ('e1', 'e2', 'W', 'V1', 'V2', 'b')[:n_in])
        e1, e2, W = in_types[:3]
        type_check.expect(
            e1.dtype.kind == 'f',
            e1.ndim >= 2,
            e2.dtype == e1.dtype,
            e2.ndim >= 2,
            e1.shape[0] == e2.shape[0],
            W.dtype == e1.dtype,
            W.ndim == 3,
        )
        size1, size2 = (type_check.Variable(math.prod(e.shape.eval()[1:]), f'prod({name}.shape[1:])')
                        for e, name in ((e1, 'e1'), (e2, 'e2')))
        type_check.expect(size1 == W.shape[0], size2 == W.shape[1])
        if n_in == 6:
            V1, V2, b = in_types[3:]
            type_check.expect(
                V1.dtype == e1.dtype, V1.ndim == 2, V1.shape[0] == W.shape[0],
                V1.shape[1] == W.shape[2],
                V2.dtype == e1.dtype, V2.ndim == 2, V2.shape[0] == W.shape[1],
                V2.shape[1] == W.shape[2],
                b.dtype == e1.dtype, b.ndim == 1, b.shape[0] == W.shape[2],
            )

    def forward(self, inputs):
        self.retain_inputs(tuple(range(len(inputs))))
        xp = get_array_module(*inputs)
        e1, e2, W = _matrix(inputs[0]), _matrix(inputs[1]), inputs[2]
        j, k, l_ = W.shape
        outer = (e1[:, :, None] * e2[:, None, :]).reshape(e1.shape[0], j * k)  # (i, j * k)
        y = xp.matmul(outer, W.reshape(j * k, l_))
        if len(inputs) == 6:
            V1, V2, b = inputs[3:]
            y = y + xp.matmul(e1, V1) + xp.matmul(e2, V2) + b
        return y,

    def backward(self, indexes, grad_outputs):
        from tracegrad import functions as F

        inputs = self.get_retained_inputs()
        e1_in, e2_in, W = inputs[:3]
        gy, = grad_outputs
        e1 = F.reshape(e1_in, _matrix_shape(e1_in.shape))
        e2 = F.reshape(e2_in, _matrix_shape(e2_in.shape))
        n, (j, k, l_) = e1.shape[0], W.shape
        W_mat = F.reshape(W, (j * k, l_))
        # gy W^T, as (i, j, k): the weight each pair (j, k) receives
        gy_w = F.reshape(F.matmul(gy, W_mat, transb=True), (n, j, k))
        grads = {}
        if 0 in indexes:
            ge1 = F.sum(gy_w * F.broadcast_to(F.reshape(e2, (n, 1, k)), (n, j, k)), axis=2)
            if len(inputs) == 6:
                ge1 = ge1 + F.matmul(gy, inputs[3], transb=True)
            grads[0] = F.reshape(ge1, e1_in.shape)
        if 1 in indexes:
            ge2 = F.sum(gy_w * F.broadcast_to(F.reshape(e1, (n, j, 1)), (n, j, k)), axis=1)
            if len(inputs) == 6:
                ge2 = ge2 + F.matmul(gy, inputs[4], transb=True)
            grads[1] = F.reshape(ge2, e2_in.shape)
        if 2 in indexes:
            outer = F.broadcast_to(F.reshape(e1, (n, j, 1)), (n, j, k)) * \
                F.broadcast_to(F.reshape(e2, (n, 1, k)), (n, j, k))
            grads[2] = F.reshape(F.matmul(F.reshape(outer, (n, j * k)), gy, transa=True),
                                 (j, k, l_))
        if 3 in indexes:
            grads[3] = F.matmul(e1, gy, transa=True)
        if 4 in indexes:
            grads[4] = F.matmul(e2, gy, transa=True)
        if 5 in indexes:
            grads[5] = F.sum(gy, axis=0)
        return tuple(grads.get(i) for i in indexes)


def bilinear(e1, e2, W, V1=None, V2=None, b=None) -> Variable:
    """Bilinear function of two inputs, the building block of neural tensor networks.

    ``y[i, l] = sum_{j, k} e1[i, j] e2[i, k] W[j, k, l]
    + sum_j e1[i, j] V1[j, l] + sum_k e2[i, k] V2[k, l] + b[l]``; the last three
    terms are left out when ``V1``, ``V2`` and ``b`` are None (all three or
    none must be given). Inputs with more than two axes are flattened after
    the first (batch) axis.

    Args:
        e1 (Variable or array): left input ``(I, J)`` (or ``(I, ...)``).
        e2 (Variable or array): right input ``(I, K)`` (or ``(I, ...)``).
        W (Variable or array): quadratic weight ``(J, K, L)``.
        V1 (Variable or array): left linear weight ``(J, L)``, or None.
        V2 (Variable or array): right linear weight ``(K, L)``, or None.
        b (Variable or array): bias ``(L,)``, or None.

    Returns:
        ~tracegrad.Variable: output of shape ``(I, L)``.
    """
    given = [v is not None for v in (V1, V2, b)]
    if any(given) and not all(given):
        raise ValueError('bilinear: V1, V2 and b must be all given or all None')
    if all(given):
        return BilinearFunction().apply((e1, e2, W, V1, V2, b))[0]
    return BilinearFunction().apply((e1, e2, W))[0]
