"""The affine map ``y = x W^T + b`` (``linear``), the hottest op of training.

Forward is one GEMM (``W.T`` is a view, not a copy) plus the bias. Backward is
two GEMM nodes, ``gx = gy W`` and ``gW = gy^T x``, and ``gb = sum(gy)``; the
three nodes differentiate into each other, so double backprop works.
"""
from __future__ import annotations

import functools
import operator

from tracegrad.function_node import FunctionNode
from tracegrad.functions.math.sum import sum_to
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
            y = y + inputs[2]
        return y,

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        n = self.n_batch_axes
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(LinearGradData(n, x.shape).apply((gy, W))[0])
            elif i == 1:
                ret.append(LinearGradWeight(n).apply((gy, x))[0])
            else:
                ret.append(sum_to(gy, (W.shape[0],)))
        return tuple(ret)


class LinearGradData(FunctionNode):
    """``gx = gy W``, reshaped to the input's shape ``x_shape``."""

    def __init__(self, n_batch_axes: int, x_shape: tuple):
        self.n_batch_axes = n_batch_axes
        self.x_shape = x_shape

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        gy, W = inputs
        gx = gy @ W
        if gx.shape != self.x_shape:
            gx = gx.reshape(self.x_shape)
        return gx,

    def backward(self, indexes, grad_outputs):
        gy, W = self.get_retained_inputs()
        ggx, = grad_outputs
        n = self.n_batch_axes
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(LinearFunction(n).apply((ggx, W))[0])
            else:
                ret.append(LinearGradWeight(n).apply((gy, ggx))[0])
        return tuple(ret)


class LinearGradWeight(FunctionNode):
    """``gW = gy^T x`` with the batch axes of ``gy`` and ``x`` flattened."""

    def __init__(self, n_batch_axes: int):
        self.n_batch_axes = n_batch_axes

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        gy, x = inputs
        n = self.n_batch_axes
        return _as_matrix(gy, n).T @ _as_matrix(x, n),

    def backward(self, indexes, grad_outputs):
        gy, x = self.get_retained_inputs()
        ggW, = grad_outputs
        n = self.n_batch_axes
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(LinearFunction(n).apply((x, ggW))[0])
            else:
                ret.append(LinearGradData(n, x.shape).apply((gy, ggW))[0])
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
