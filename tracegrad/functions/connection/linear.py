"""The affine map ``y = x W^T + b`` (``linear``), the hottest op of training.

Forward is one GEMM (``W.T`` is a view, not a copy) plus the bias. Backward is
one node computing what is asked of ``gx = gy W``, ``gW = gy^T x`` and
``gb = sum(gy)`` (one apply per layer instead of three: the backward pass is
where eager mode's per-op overhead adds up); its own backward is written with
``linear`` and ``matmul``, so double backprop works.
"""
from __future__ import annotations

import functools
import operator

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['linear']


def _as_matrix(a, n_batch_axes: int):
    """View ``a`` as ``(batch size, features)``."""
    if a.ndim == 2 and n_batch_axes == 1:
        return a
    batch = 1
    for s in a.shape[:n_batch_axes]:
        batch *= s
    features = 1
    for s in a.shape[n_batch_axes:]:
        features *= s
    return a.reshape(batch, features)


class LinearFunction(FunctionNode):
    """``y = x W^T (+ b)`` over the last axes of ``x`` after ``n_batch_axes``."""

    def __init__(self, n_batch_axes: int = 1):
        self.n_batch_axes = n_batch_axes

    def check_type_forward(self, in_types):
        n_in = len(in_types)
        type_check._argname(in_types, ('x', 'W', 'b')[:n_in])
        x, W = in_types[0], in_types[1]
        n = self.n_batch_axes
        type_check.expect(
            x.dtype.kind == 'f',
            W.dtype == x.dtype,
            x.ndim > n,
            W.ndim == 2,
        )
        features = functools.reduce(operator.mul, [x.shape[i] for i in range(n, x.ndim.eval())])
        type_check.expect(features == W.shape[1])
        if n_in == 3:
            b = in_types[2]
            type_check.expect(b.dtype == x.dtype, b.ndim == 1, b.shape[0] == W.shape[0])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[0], inputs[1]
        n = self.n_batch_axes
        if x.ndim > n + 1:  # flatten the feature axes
            x = x.reshape(x.shape[:n] + (W.shape[1],))
        y = x @ W.T
        if len(inputs) == 3:
            y += inputs[2]  # y is a fresh array: add the bias in place
        return y,

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        return LinearGrad(self.n_batch_axes, indexes).apply((x, W, grad_outputs[0]))


class LinearGrad(FunctionNode):
    """The gradients of ``linear`` that ``indexes`` asks for, in one node.

    Inputs are ``(x, W, gy)``; the outputs are, in the order of ``indexes``
    (0: x, 1: W, 2: b), ``gx = gy W`` reshaped to ``x``'s shape,
    ``gW = gy^T x`` and ``gb = sum(gy)`` over the batch axes.
    """

    def __init__(self, n_batch_axes: int, indexes: tuple):
        self.n_batch_axes = n_batch_axes
        self.indexes = indexes

    def forward(self, inputs):
        self.retain_inputs((0, 1, 2))
        x, W, gy = inputs
        gy = _as_matrix(gy, self.n_batch_axes)
        ret = []
        for i in self.indexes:
            if i == 0:
                gx = gy @ W
                ret.append(gx if gx.shape == x.shape else gx.reshape(x.shape))
            elif i == 1:
                ret.append(gy.T @ _as_matrix(x, self.n_batch_axes))
            else:
                ret.append(gy.sum(axis=0))
        return tuple(ret)

    def backward(self, indexes, grad_outputs):
        # d(gx)/d(W, gy), d(gW)/d(x, gy) and d(gb)/d(gy), written with linear and
        # matmul so that every order of derivative stays differentiable.
        from tracegrad.functions.array.broadcast import broadcast_to
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.math.matmul import matmul

        x, W, gy = self.get_retained_inputs()
        upstream = dict(zip(self.indexes, grad_outputs))
        ggx, ggW, ggb = upstream.get(0), upstream.get(1), upstream.get(2)
        n = self.n_batch_axes
        gy2 = _as_matrix(gy, n)
        x2 = _as_matrix(x, n)
        ggx2 = None if ggx is None else _as_matrix(ggx, n)
        ret = []
        for i in indexes:
            g = None
            if i == 0 and ggW is not None:
                g = reshape(matmul(gy2, ggW), x.shape)
            elif i == 1 and ggx2 is not None:
                g = matmul(gy2, ggx2, transa=True)
            elif i == 2:
                if ggx2 is not None:
                    g = linear(ggx2, W, ggb)
                elif ggb is not None:
                    g = broadcast_to(ggb, gy2.shape)
                if ggW is not None:
                    g_w = linear(x2, ggW)
                    g = g_w if g is None else g + g_w
                if g is not None and g.shape != gy.shape:
                    g = reshape(g, gy.shape)
            ret.append(g)
        return tuple(ret)


def linear(x, W, b=None, n_batch_axes: int = 1) -> Variable:
    """Affine transformation ``y = x W^T + b``.

    Args:
        x (Variable or array): float input of shape ``(s_1, ..., s_n)``. Its
            first ``n_batch_axes`` axes are batch axes; the remaining axes are
            flattened into one feature axis of size ``N``.
        W (Variable or array): weight of shape ``(M, N)``, same dtype as ``x``.
        b (Variable or array): optional bias of shape ``(M,)``.
        n_batch_axes (int): number of leading batch axes (at least 1).

    Returns:
        ~tracegrad.Variable: output of shape ``(s_1, ..., s_n_batch_axes, M)``.

    >>> x = np.random.uniform(0, 1, (3, 4)).astype(np.float32)
    >>> W = np.random.uniform(0, 1, (5, 4)).astype(np.float32)
    >>> b = np.random.uniform(0, 1, (5,)).astype(np.float32)
    >>> y = F.linear(x, W, b)
    >>> y.shape
    (3, 5)
    """
    if n_batch_axes <= 0:
        raise ValueError(f'linear: n_batch_axes must be greater than 0, got {n_batch_axes}')
    if b is None:
        return LinearFunction(n_batch_axes).apply((x, W))[0]
    return LinearFunction(n_batch_axes).apply((x, W, b))[0]
