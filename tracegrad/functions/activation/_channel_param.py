"""A parameter shared over the batch axis: shared by ``prelu`` and ``swish``.

A parameter of shape ``(s_1, ..., s_M)`` applies to an input of shape
``(B, s_1, ..., s_M, t_1, ..., t_K)``: it is viewed with the shape
``(1, s_1, ..., s_M, 1, ..., 1)`` and its gradient is summed over the batch
axis and the trailing axes.
"""
from __future__ import annotations

from tracegrad.utils import type_check


def check_channel_param(in_types, names: tuple) -> None:
    """Type checks of ``(x, param)``: one float dtype, param matches ``x.shape[1:1 + M]``."""
    type_check._argname(in_types, names)
    x, p = in_types
    type_check.expect(
        x.dtype.kind == 'f',
        p.dtype == x.dtype,
        x.ndim >= p.ndim + 1,
        x.shape[1:1 + type_check.eval(p.ndim)] == p.shape,
    )


def extended_shape(param_shape: tuple, x_ndim: int) -> tuple:
    """The shape that broadcasts the parameter against ``x``."""
    return (1,) + tuple(param_shape) + (1,) * (x_ndim - len(param_shape) - 1)


def reduce_axes(param_ndim: int, x_ndim: int) -> tuple:
    """The axes of ``x`` the parameter's gradient is summed over."""
    return (0,) + tuple(range(1 + param_ndim, x_ndim))
