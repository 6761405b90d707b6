"""Standardization over some axes, shared by batch, layer and group normalization.

Each of these functions subtracts the mean and divides by the standard deviation
of ``x`` over some axes (the statistics keep those axes as size 1), then scales
and shifts by parameters. The forward pieces work on arrays with any ``xp``; the
backward pieces are written with Variables so that the gradients can be
differentiated again.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module


def stat_shape(shape: tuple, axes: tuple) -> tuple:
    """``shape`` with the reduced ``axes`` set to 1 (the shape of the statistics)."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def standardize(x, axes: tuple, eps: float):
    """Return ``(x - mean) / sqrt(var + eps)`` over ``axes`` (arrays) and the mean and var.

    The mean and variance are returned with the reduced axes kept as size 1.
    """
    xp = get_array_module(x)
    mean = xp.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    var = xp.mean(centered * centered, axis=axes, keepdims=True)
    # Multiply by the reciprocal as Chainer does, so results match its documented digits.
    x_hat = centered * (1 / xp.sqrt(var + x.dtype.type(eps)))
    return x_hat, mean, var


def standardize_variable(x, shape: tuple, eps: float):
    """``standardize`` written with differentiable functions.

    Args:
        x (Variable): input.
        shape (tuple of int): the shape of the statistics (``stat_shape``).
        eps (float): added to the variance.

    Returns:
        tuple: ``x_hat`` and ``inv_std`` (of ``shape``) as Variables.
    """
    from tracegrad.functions.math.sum import sum_to

    inv_m = 1.0 / (x.size // _prod(shape))
    centered = x - sum_to(x, shape) * inv_m
    var = sum_to(centered * centered, shape) * inv_m
    inv_std = (var + eps) ** -0.5
    return centered * inv_std, inv_std


def standardize_grad(x_hat, inv_std, g_x_hat, shape: tuple):
    """Gradient of ``standardize`` with respect to its input, from that of its output.

    Args:
        x_hat (Variable): the standardized input.
        inv_std (Variable): ``1 / sqrt(var + eps)`` of ``shape``.
        g_x_hat (Variable): gradient with respect to ``x_hat``.
        shape (tuple of int): the shape of the statistics.

    Returns:
        Variable: the gradient with respect to the input.
    """
    from tracegrad.functions.math.sum import sum_to

    inv_m = 1.0 / (x_hat.size // _prod(shape))
    mean_g = sum_to(g_x_hat, shape) * inv_m
    mean_gx = sum_to(g_x_hat * x_hat, shape) * inv_m
    return inv_std * (g_x_hat - mean_g - x_hat * mean_gx)


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
