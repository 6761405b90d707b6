"""Batch normalization: with batch statistics, or with given (fixed) statistics."""
from __future__ import annotations

import itertools
import warnings

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.normalization._standardize import (
    standardize,
    standardize_grad,
    standardize_variable,
    stat_shape,
)
from tracegrad.utils import type_check
from tracegrad.variable import Variable, _is_array

__all__ = ['batch_normalization', 'fixed_batch_normalization']


def _parse_axis(caller: str, axis):
    """Chainer's accepted forms of ``axis``: None, an int, or ascending ints."""
    if axis is None:
        return None
    if isinstance(axis, (int, numpy.integer)) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, (tuple, list)):
        if not all(isinstance(a, (int, numpy.integer)) and not isinstance(a, bool)
                   for a in axis):
            raise TypeError(f'{caller}: axis must be an int, a tuple of ints or None, '
                            f'got {axis!r}')
        axis = tuple(int(a) for a in axis)
        if any(prev >= cur for prev, cur in itertools.pairwise(axis)):
            raise ValueError(f'{caller}: the numbers in axis must be sorted in '
                             f'ascending order, got {axis}')
        return axis
    raise TypeError(f'{caller}: axis must be an int, a tuple of ints or None, got {axis!r}')


def _reduced_axes(x_ndim: int, gamma_ndim: int, axis) -> tuple:
    """The axes the statistics are taken over (by default all but 1..gamma_ndim)."""
    if axis is None:
        return (0,) + tuple(range(gamma_ndim + 1, x_ndim))
    return tuple(a % x_ndim if -x_ndim <= a < x_ndim else a for a in axis)


def _check_param_shapes(x_type, gamma_type, axis) -> tuple:
    """Type-check that ``gamma`` has the shape of ``x`` along the kept axes."""
    x_ndim = type_check.eval(x_type.ndim)
    gamma_ndim = type_check.eval(gamma_type.ndim)
    axes = _reduced_axes(x_ndim, gamma_ndim, axis)
    for a in axes:
        if not 0 <= a < x_ndim:
            raise type_check.InvalidType(f'-x.ndim <= axis < x.ndim for each axis in {axis}',
                                         f'x.ndim == {x_ndim}')
    kept = [i for i in range(x_ndim) if i not in axes]
    type_check.expect(gamma_type.ndim == len(kept))
    for j, i in enumerate(kept):
        type_check.expect(x_type.shape[i] == gamma_type.shape[j])
    return axes


def _interm_dtype(x, gamma):
    return numpy.promote_types(x.dtype, gamma.dtype)


def _cast(x, dtype):
    """Cast a Variable to ``dtype`` (differentiably) when it is not of it already."""
    if x.dtype == dtype:
        return x
    from tracegrad.functions import cast

    return cast(x, dtype)


class BatchNormalization(FunctionNode):
    """Normalize with the statistics of the batch; optionally update running statistics."""

    def __init__(self, eps=2e-5, mean=None, var=None, decay=0.9, axis=None):
        self.eps = eps
        self.running_mean = mean
        self.running_var = var
        self.decay = decay
        self.axis = _parse_axis('batch_normalization', axis)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'gamma', 'beta'))
        x_type, gamma_type, beta_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            gamma_type.dtype.kind == 'f',
            gamma_type.dtype == beta_type.dtype,
            gamma_type.shape == beta_type.shape,
        )
        _check_param_shapes(x_type, gamma_type, self.axis)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gamma, beta = inputs
        axes = _reduced_axes(x.ndim, gamma.ndim, self.axis)
        shape = stat_shape(x.shape, axes)
        self._axes, self._shape = axes, shape
        if all(x.shape[i] == 1 for i in axes):
            warnings.warn('batch_normalization got a batch with only one element along '
                          f'the reduced axes {axes}; the output is all zeros (beta).',
                          UserWarning, stacklevel=3)
        dtype = _interm_dtype(x, gamma)
        x_hat, mean, var = standardize(x.astype(dtype, copy=False), axes, self.eps)
        y = x_hat * gamma.astype(dtype, copy=False).reshape(shape) + \
            beta.astype(dtype, copy=False).reshape(shape)
        if self.running_mean is not None:
            self._update_running_statistics(mean.reshape(gamma.shape),
                                            var.reshape(gamma.shape), x.size // gamma.size)
        return y.astype(x.dtype, copy=False),

    def _update_running_statistics(self, mean, var, m: int) -> None:
        # Chainer's rule: exponential moving averages, the variance unbiased.
        decay = self.decay
        adjust = m / max(m - 1., 1.)
        running_mean, running_var = self.running_mean, self.running_var
        running_mean *= decay
        running_mean += (1 - decay) * mean
        running_var *= decay
        running_var += (1 - decay) * adjust * var

    def backward(self, indexes, grad_outputs):
        x, gamma = self.get_retained_inputs()
        gy, = grad_outputs
        dtype = _interm_dtype(x, gamma)
        x_c, gamma_c, gy_c = _cast(x, dtype), _cast(gamma, dtype), _cast(gy, dtype)
        shape = self._shape
        ret = []
        if 0 in indexes or 1 in indexes:
            x_hat, inv_std = standardize_variable(x_c, shape, self.eps)
        for i in indexes:
            if i == 0:
                g_x_hat = gy_c * gamma_c.reshape(shape)
                ret.append(_cast(standardize_grad(x_hat, inv_std, g_x_hat, shape), x.dtype))
            else:
                g = gy_c * x_hat if i == 1 else gy_c
                ret.append(_cast(_sum_to(g, shape).reshape(gamma.shape), gamma.dtype))
        return tuple(ret)


def _sum_to(x, shape):
    from tracegrad.functions.math.sum import sum_to

    return sum_to(x, shape)


class FixedBatchNormalization(FunctionNode):
    """Normalize with given mean and variance."""

    def __init__(self, eps=2e-5, axis=None):
        self.eps = eps
        self.axis = _parse_axis('fixed_batch_normalization', axis)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'gamma', 'beta', 'mean', 'var'))
        x_type, gamma_type, beta_type, mean_type, var_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            gamma_type.dtype.kind == 'f',
            beta_type.dtype == gamma_type.dtype,
            mean_type.dtype == gamma_type.dtype,
            var_type.dtype == gamma_type.dtype,
            beta_type.shape == gamma_type.shape,
            mean_type.shape == gamma_type.shape,
            var_type.shape == gamma_type.shape,
        )
        _check_param_shapes(x_type, gamma_type, self.axis)

    def forward(self, inputs):
        self.retain_inputs((0, 1, 3, 4))
        x, gamma, beta, mean, var = inputs
        xp = get_array_module(x)
        axes = _reduced_axes(x.ndim, gamma.ndim, self.axis)
        shape = stat_shape(x.shape, axes)
        self._shape = shape
        dtype = _interm_dtype(x, gamma)
        scale = gamma / xp.sqrt(var + gamma.dtype.type(self.eps))
        y = (x.astype(dtype, copy=False) - mean.reshape(shape)) * scale.reshape(shape) + \
            beta.reshape(shape)
        return y.astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        x, gamma, mean, var = self.get_retained_inputs()
        gy, = grad_outputs
        dtype = _interm_dtype(x, gamma)
        x_c, gy_c = _cast(x, dtype), _cast(gy, dtype)
        shape = self._shape
        gamma_b = _cast(gamma, dtype).reshape(shape)
        inv_std = (_cast(var, dtype).reshape(shape) + self.eps) ** -0.5
        centered = x_c - _cast(mean, dtype).reshape(shape)
        if any(i in indexes for i in (1, 4)):
            g_scale = _sum_to(gy_c * centered, shape)   # d loss / d (gamma * inv_std)
        if any(i in indexes for i in (2, 3)):
            gbeta = _sum_to(gy_c, shape)
        ret = []
        for i in indexes:
            if i == 0:
                g = gy_c * (gamma_b * inv_std)
            elif i == 1:
                g = g_scale * inv_std
            elif i == 2:
                g = gbeta
            elif i == 3:
                g = -gbeta * gamma_b * inv_std
            else:
                g = g_scale * gamma_b * (inv_std * inv_std * inv_std) * -0.5
            if i == 0:
                ret.append(_cast(g, x.dtype))
            else:
                ret.append(_cast(g.reshape(gamma.shape), gamma.dtype))
        return tuple(ret)


_BN_OPTIONS = ('eps', 'running_mean', 'running_var', 'decay', 'axis')


def batch_normalization(x, gamma, beta, **kwargs) -> Variable:
    """batch_normalization(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None, decay=0.9, axis=None)

    Normalize ``x`` with the mean and variance of the batch, then scale and shift.

    ``gamma`` and ``beta`` share one shape, the channel shape: by default it
    matches the axes of ``x`` right after the first (batch) axis, and the
    statistics are taken over all other axes. For ``x`` of shape (N, C, H, W)
    and ``gamma`` of shape (C,) the statistics are per channel over N, H, W.

    Args:
        x (Variable or array): input.
        gamma (Variable or array): scale, of the channel shape.
        beta (Variable or array): shift, of the channel shape.
        eps (float): added to the variance for numerical stability.
        running_mean (array or None): if given, updated in place with
            ``decay * running_mean + (1 - decay) * mean`` of the batch.
        running_var (array or None): if given, updated in place with the
            unbiased batch variance in the same way. Give both or neither.
        decay (float): decay rate of the running averages.
        axis (int, tuple of int or None): the axes the statistics are taken
            over, in ascending order; None means all axes but those of the
            channel shape (e.g. (0, 2, 3) for 4-d ``x`` and 1-d ``gamma``).

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.

    See: `Batch Normalization: Accelerating Deep Network Training by Reducing
    Internal Covariate Shift <https://arxiv.org/abs/1502.03167>`_
    """
    if 'train' in kwargs:
        raise ValueError('batch_normalization: the train argument is not supported '
                         'anymore; use tracegrad.using_config("train", ...)')
    unknown = set(kwargs) - set(_BN_OPTIONS)
    if unknown:
        raise TypeError(f'batch_normalization got unexpected keyword argument(s): '
                        f'{", ".join(sorted(unknown))}')
    running_mean = kwargs.get('running_mean')
    running_var = kwargs.get('running_var')
    if (running_mean is None) != (running_var is None):
        raise ValueError('batch_normalization: give both running_mean and running_var, '
                         'or neither')
    if running_mean is not None:
        running_mean = _running_array(running_mean, 'running_mean')
        running_var = _running_array(running_var, 'running_var')
        gamma_shape = gamma.shape
        for name, a in (('running_mean', running_mean), ('running_var', running_var)):
            if a.shape != gamma_shape:
                raise ValueError(f'batch_normalization: {name}.shape must equal '
                                 f'gamma.shape {gamma_shape}, got {a.shape}')
    func = BatchNormalization(kwargs.get('eps', 2e-5), running_mean, running_var,
                              kwargs.get('decay', 0.9), kwargs.get('axis'))
    return func.apply((x, gamma, beta))[0]


def _running_array(a, name: str, caller: str = 'batch_normalization'):
    if isinstance(a, Variable):
        return a.array
    if not _is_array(a):
        raise TypeError(f'{caller}: {name} must be an array, '
                        f'got {type(a).__name__}')
    return a


def fixed_batch_normalization(x, gamma, beta, mean, var, eps=2e-5, axis=None) -> Variable:
    """Batch normalization with given statistics (as used at test time).

    Computes ``gamma * (x - mean) / sqrt(var + eps) + beta``, where the
    parameters and statistics are broadcast along the reduced axes as in
    :func:`batch_normalization`.

    Args:
        x (Variable or array): input.
        gamma (Variable or array): scale, of the channel shape.
        beta (Variable or array): shift, of the channel shape.
        mean (Variable or array): mean to subtract, of the channel shape.
        var (Variable or array): variance to divide by (after adding ``eps``
            and taking the square root), of the channel shape.
        eps (float): added to the variance for numerical stability.
        axis (int, tuple of int or None): the axes the statistics stand for,
            as in :func:`batch_normalization`.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.
    """
    return FixedBatchNormalization(eps, axis).apply((x, gamma, beta, mean, var))[0]
