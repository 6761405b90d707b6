"""Layer normalization: standardize each sample over its units."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.functions.normalization._standardize import (
    standardize,
    standardize_grad,
    standardize_variable,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['layer_normalization']


class LayerNormalization(FunctionNode):
    """Standardize the rows of a matrix, then scale and shift each column."""

    def __init__(self, eps=1e-5):
        self.eps = eps

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'gamma', 'beta'))
        x_type, gamma_type, beta_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            x_type.ndim == 2,
            gamma_type.ndim == 1,
            beta_type.ndim == 1,
            gamma_type.dtype == x_type.dtype,
            beta_type.dtype == x_type.dtype,
            gamma_type.shape == beta_type.shape,
            gamma_type.shape[0] == x_type.shape[1],
        )

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gamma, beta = inputs
        x_hat, _, _ = standardize(x, (1,), self.eps)
        return x_hat * gamma + beta,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        x, gamma = self.get_retained_inputs()
        gy, = grad_outputs
        shape = (x.shape[0], 1)
        x_hat, inv_std = standardize_variable(x, shape, self.eps)
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(standardize_grad(x_hat, inv_std, gy * gamma, shape))
            elif i == 1:
                ret.append(sum_to(gy * x_hat, gamma.shape))
            else:
                ret.append(sum_to(gy, gamma.shape))
        return tuple(ret)


def layer_normalization(x, gamma, beta, eps=1e-5) -> Variable:
    """Layer normalization: standardize each row of ``x``, then scale and shift.

    Each sample (row) is normalized with the mean and variance of its own
    units, so the result does not depend on the other samples of the batch.

    Args:
        x (Variable or array): input of shape ``(batch_size, unit_size)``,
            e.g. the output of :func:`~tracegrad.functions.linear`.
        gamma (Variable or array): scale of shape ``(unit_size,)``.
        beta (Variable or array): shift of shape ``(unit_size,)``.
        eps (float): added to the variance for numerical stability.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.

    See: `Layer Normalization <https://arxiv.org/abs/1607.06450>`_
    """
    return LayerNormalization(eps).apply((x, gamma, beta))[0]
