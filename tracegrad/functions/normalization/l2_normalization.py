"""L2 normalization: divide by the Euclidean norm along some axes."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['normalize']


class NormalizeL2(FunctionNode):
    """``x / (||x|| + eps)`` with the norm taken along ``axis``."""

    def __init__(self, eps=1e-5, axis=1):
        self.eps = eps
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_type, = in_types
        type_check.expect(x_type.dtype.kind == 'f')
        ndim = type_check.eval(x_type.ndim)
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise type_check.InvalidType(f'-x.ndim <= axis < x.ndim for axis={self.axis}',
                                             f'x.ndim == {ndim}')

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        xp = get_array_module(x)
        norm = xp.sqrt(xp.sum(x * x, axis=self.axis, keepdims=True)) + x.dtype.type(self.eps)
        return x / norm,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        x, = self.get_retained_inputs()
        gy, = grad_outputs
        axes = [a % x.ndim for a in self.axis]
        shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
        squares = sum_to(x * x, shape)
        # The norm is not differentiable at zero vectors: there the terms that
        # divide by it are multiplied by x == 0, so divide by 1 instead of 0.
        zero = (squares.array == 0).astype(x.dtype)
        safe_norm = (squares + zero) ** 0.5
        norm = safe_norm - zero + self.eps
        gx = gy * norm - x * (sum_to(x * gy, shape) / safe_norm)
        return gx / (norm * norm),


def normalize(x, eps=1e-5, axis=1) -> Variable:
    """Divide ``x`` by its L2 norm along ``axis`` (plus ``eps``).

    For a matrix ``x`` of shape (N, K) and ``axis=1`` this returns
    ``y[i] = x[i] / (||x[i]|| + eps)``; nothing is reduced away.

    Args:
        x (Variable or array): input.
        eps (float): added to the norm to avoid division by zero.
        axis (int or tuple of int): the axis or axes the norm is taken along.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.
    """
    if isinstance(axis, int) and not isinstance(axis, bool):
        axis = (axis,)
    elif isinstance(axis, (tuple, list)) and all(
            isinstance(a, int) and not isinstance(a, bool) for a in axis):
        axis = tuple(axis)
    else:
        raise TypeError(f'normalize: axis must be an int or a tuple of ints, got {axis!r}')
    return NormalizeL2(eps, axis).apply((x,))[0]
