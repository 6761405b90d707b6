"""Group normalization: standardize each sample over groups of channels."""
from __future__ import annotations

import numpy

from tracegrad.function_node import FunctionNode
from tracegrad.functions.normalization._standardize import (
    standardize,
    standardize_grad,
    standardize_variable,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['group_normalization']


class GroupNormalization(FunctionNode):
    """Standardize each group of channels of each sample, then scale and shift channels."""

    def __init__(self, groups, eps=1e-5):
        if isinstance(groups, bool) or not isinstance(groups, (int, numpy.integer)):
            raise TypeError(f'group_normalization: groups must be an int, '
                            f'got {type(groups).__name__}')
        if groups <= 0:
            raise ValueError(f'group_normalization: groups must be positive, got {groups}')
        self.groups = int(groups)
        self.eps = eps

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'gamma', 'beta'))
        x_type, gamma_type, beta_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            x_type.ndim >= 2,
            gamma_type.ndim == 1,
            beta_type.ndim == 1,
            gamma_type.dtype.kind == 'f',
            gamma_type.dtype == beta_type.dtype,
            x_type.shape[1] == gamma_type.shape[0],
            gamma_type.shape == beta_type.shape,
        )

    def _grouped_shape(self, shape):
        return (shape[0], self.groups, -1)

    def _param_shape(self, shape):
        return (1, shape[1]) + (1,) * (len(shape) - 2)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gamma, beta = inputs
        if x.shape[1] % self.groups:
            raise ValueError(f'group_normalization: the number of channels {x.shape[1]} '
                             f'is not divisible by groups={self.groups}')
        dtype = numpy.promote_types(x.dtype, gamma.dtype)
        grouped = x.astype(dtype, copy=False).reshape(self._grouped_shape(x.shape))
        x_hat, _, _ = standardize(grouped, (2,), self.eps)
        pshape = self._param_shape(x.shape)
        y = x_hat.reshape(x.shape) * gamma.astype(dtype, copy=False).reshape(pshape) + \
            beta.astype(dtype, copy=False).reshape(pshape)
        return y.astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to
        from tracegrad.functions.normalization.batch_normalization import _cast

        x, gamma = self.get_retained_inputs()
        gy, = grad_outputs
        dtype = numpy.promote_types(x.dtype, gamma.dtype)
        x_c, gy_c = _cast(x, dtype), _cast(gy, dtype)
        gshape = self._grouped_shape(x.shape)
        grouped = x_c.reshape(gshape)
        shape = (x.shape[0], self.groups, 1)
        x_hat, inv_std = standardize_variable(grouped, shape, self.eps)
        pshape = self._param_shape(x.shape)
        ret = []
        for i in indexes:
            if i == 0:
                g_x_hat = (gy_c * _cast(gamma, dtype).reshape(pshape)).reshape(gshape)
                gx = standardize_grad(x_hat, inv_std, g_x_hat, shape).reshape(x.shape)
                ret.append(_cast(gx, x.dtype))
            else:
                g = gy_c * x_hat.reshape(x.shape) if i == 1 else gy_c
                ret.append(_cast(sum_to(g, pshape).reshape(gamma.shape), gamma.dtype))
        return tuple(ret)


def group_normalization(x, groups, gamma, beta, eps=1e-5) -> Variable:
    """Group normalization: standardize groups of channels, then scale and shift.

    The channels (axis 1) of each sample are split into ``groups`` groups of
    consecutive channels; each group is normalized with the mean and variance
    over its channels and all following axes, then each channel is scaled and
    shifted by ``gamma`` and ``beta``.

    Args:
        x (Variable or array): input of shape ``(N, C, ...)``.
        groups (int): the number of channel groups; it must divide ``C``.
        gamma (Variable or array): scale of shape ``(C,)``.
        beta (Variable or array): shift of shape ``(C,)``.
        eps (float): added to the variance for numerical stability.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.

    See: `Group Normalization <https://arxiv.org/abs/1803.08494>`_
    """
    return GroupNormalization(groups, eps).apply((x, gamma, beta))[0]
