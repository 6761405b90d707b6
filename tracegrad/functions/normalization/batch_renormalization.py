"""Batch renormalization (Ioffe 2017): batch normalization corrected towards running statistics."""
from __future__ import annotations

import warnings

from tracegrad.backend import get_array_module
from tracegrad.configuration import using_config
from tracegrad.function_node import FunctionNode
from tracegrad.functions.normalization._standardize import (
    standardize,
    standardize_grad,
    standardize_variable,
    stat_shape,
)
from tracegrad.functions.normalization.batch_normalization import (
    _cast,
    _check_param_shapes,
    _interm_dtype,
    _reduced_axes,
    _running_array,
    _sum_to,
    fixed_batch_normalization,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['batch_renormalization', 'fixed_batch_renormalization']


class BatchRenormalization(FunctionNode):
    """``gamma * (x_hat * r + d) + beta``, with ``r`` and ``d`` held constant in backward.

    ``r = clip(std / running_std, 1 / rmax, rmax)`` and
    ``d = clip((mean - running_mean) / running_std, -dmax, dmax)`` are computed
    from the running statistics before they are updated.
    """

    def __init__(self, eps, running_mean, running_var, decay, rmax, dmax,
                 update_statistics: bool):
        self.eps = eps
        self.running_mean = running_mean
        self.running_var = running_var
        self.decay = decay
        self.rmax = rmax
        self.dmax = dmax
        self.update_statistics = update_statistics

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'gamma', 'beta'))
        x_type, gamma_type, beta_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            gamma_type.dtype.kind == 'f',
            gamma_type.dtype == beta_type.dtype,
            gamma_type.shape == beta_type.shape,
        )
        _check_param_shapes(x_type, gamma_type, None)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gamma, beta = inputs
        xp = get_array_module(x)
        axes = _reduced_axes(x.ndim, gamma.ndim, None)
        shape = stat_shape(x.shape, axes)
        self._shape = shape
        dtype = _interm_dtype(x, gamma)
        x_hat, mean, var = standardize(x.astype(dtype, copy=False), axes, self.eps)
        mean, var = mean.reshape(gamma.shape), var.reshape(gamma.shape)
        running_mean = self.running_mean.astype(dtype, copy=False)
        running_std = xp.sqrt(self.running_var.astype(dtype, copy=False) +
                              running_mean.dtype.type(self.eps))
        std = xp.sqrt(var + var.dtype.type(self.eps))
        one = dtype.type(1)
        self.r = xp.clip(std / running_std, one / dtype.type(self.rmax), dtype.type(self.rmax))
        self.d = xp.clip((mean - running_mean) / running_std, -dtype.type(self.dmax),
                         dtype.type(self.dmax))
        y = (x_hat * self.r.reshape(shape) + self.d.reshape(shape)) * \
            gamma.astype(dtype, copy=False).reshape(shape) + \
            beta.astype(dtype, copy=False).reshape(shape)
        if self.update_statistics:
            m = x.size // gamma.size
            decay = self.decay
            self.running_mean *= decay
            self.running_mean += (1 - decay) * mean
            self.running_var *= decay
            self.running_var += (1 - decay) * (m / max(m - 1., 1.)) * var
        return y.astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        x, gamma = self.get_retained_inputs()
        gy, = grad_outputs
        dtype = _interm_dtype(x, gamma)
        shape = self._shape
        x_c, gamma_c, gy_c = _cast(x, dtype), _cast(gamma, dtype), _cast(gy, dtype)
        r, d = self.r.reshape(shape), self.d.reshape(shape)
        x_hat, inv_std = standardize_variable(x_c, shape, self.eps)
        ret = []
        for i in indexes:
            if i == 0:
                g_x_hat = gy_c * (gamma_c.reshape(shape) * r)
                ret.append(_cast(standardize_grad(x_hat, inv_std, g_x_hat, shape), x.dtype))
            else:
                g = gy_c * (x_hat * r + d) if i == 1 else gy_c
                ret.append(_cast(_sum_to(g, shape).reshape(gamma.shape), gamma.dtype))
        return tuple(ret)


def batch_renormalization(x, gamma, beta, rmax, dmax, eps=2e-5, running_mean=None,
                          running_var=None, decay=0.9, update_statistics=False) -> Variable:
    """Batch renormalization: batch normalization pulled towards the running statistics.

    The input is standardized with the batch mean and standard deviation, then
    corrected by ``r = clip(std / running_std, 1 / rmax, rmax)`` and
    ``d = clip((mean - running_mean) / running_std, -dmax, dmax)``:
    ``y = gamma * (x_hat * r + d) + beta``. ``r`` and ``d`` are constants for
    the gradient. With ``rmax=1`` and ``dmax=0`` it is batch normalization.
    The statistics are taken over the first axis and the axes after those
    of ``gamma``.

    As in Chainer, the running variance (not the standard deviation) is
    averaged, with Bessel's correction, like :func:`batch_normalization`.

    Args:
        x (Variable or array): input.
        gamma (Variable or array): scale, of shape ``x.shape[1:1 + gamma.ndim]``.
        beta (Variable or array): shift, of the shape of ``gamma``.
        rmax (float): the largest allowed correction of the scale (>= 1).
        dmax (float): the largest allowed correction of the mean (>= 0).
        eps (float): added to the variances for numerical stability.
        running_mean (array): the running mean (required).
        running_var (array): the running variance (required).
        decay (float): decay rate of the running averages.
        update_statistics (bool): if True, ``running_mean`` and
            ``running_var`` are updated in place with this batch (unlike
            :func:`batch_normalization`, the default is not to).

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.

    See: `Batch Renormalization: Towards Reducing Minibatch Dependence in
    Batch-Normalized Models <https://arxiv.org/abs/1702.03275>`_
    """
    if running_mean is None:
        raise TypeError('batch_renormalization: running_mean is required')
    if running_var is None:
        raise TypeError('batch_renormalization: running_var is required')
    running_mean = _running_array(running_mean, 'running_mean', 'batch_renormalization')
    running_var = _running_array(running_var, 'running_var', 'batch_renormalization')
    for name, a in (('running_mean', running_mean), ('running_var', running_var)):
        if a.shape != gamma.shape:
            raise ValueError(f'batch_renormalization: {name}.shape must equal gamma.shape '
                             f'{gamma.shape}, got {a.shape}')
    if rmax < 1:
        raise ValueError(f'batch_renormalization: rmax must be at least 1, got {rmax}')
    if dmax < 0:
        raise ValueError(f'batch_renormalization: dmax must be at least 0, got {dmax}')
    func = BatchRenormalization(eps, running_mean, running_var, decay, rmax, dmax,
                                bool(update_statistics))
    return func.apply((x, gamma, beta))[0]


def fixed_batch_renormalization(x, gamma, beta, mean, var, eps=2e-5) -> Variable:
    """Deprecated, as in Chainer: :func:`fixed_batch_normalization` with the given statistics.

    Args:
        x (Variable or array): input.
        gamma (Variable or array): scale.
        beta (Variable or array): shift.
        mean (Variable or array): mean to subtract.
        var (Variable or array): variance to divide by (after adding ``eps``).
        eps (float): added to the variance.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.
    """
    warnings.warn('fixed_batch_renormalization is deprecated; use fixed_batch_normalization',
                  DeprecationWarning, stacklevel=2)
    with using_config('train', False):
        return fixed_batch_normalization(x, gamma, beta, mean, var, eps)
