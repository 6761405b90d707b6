"""``clip``: limit values to an interval."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.variable import Variable

__all__ = ['clip']


class Clip(FloatUnary):
    """Clip to ``[x_min, x_max]``; the gradient is 1 inside (edges included), 0 outside."""

    def __init__(self, x_min, x_max):
        if x_min is None and x_max is None:
            raise ValueError('clip: set x_min or x_max (both are None)')
        if x_min is not None and x_max is not None and x_min >= x_max:
            raise ValueError(f'clip: x_min must be less than x_max, '
                             f'got x_min={x_min}, x_max={x_max}')
        self.x_min = x_min
        self.x_max = x_max

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        xp = get_array_module(x)
        if self.x_min is not None:
            x = xp.maximum(x, x.dtype.type(self.x_min))
        if self.x_max is not None:
            x = xp.minimum(x, x.dtype.type(self.x_max))
        return x,

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        x = x.array
        inside = None
        if self.x_min is not None:
            inside = x >= x.dtype.type(self.x_min)
        if self.x_max is not None:
            below = x <= x.dtype.type(self.x_max)
            inside = below if inside is None else inside & below
        return grad_outputs[0] * inside.astype(x.dtype),


def clip(x, x_min, x_max) -> Variable:
    """Clip (limit) the values of ``x`` to ``[x_min, x_max]``.

    The gradient is 1 where ``x_min <= x <= x_max`` and 0 elsewhere.

    Args:
        x (Variable or array): a float array.
        x_min (float or None): the lower bound (None: no lower bound).
        x_max (float or None): the upper bound (None: no upper bound).

    Returns:
        ~tracegrad.Variable: the clipped values.

    >>> F.clip(np.array([-2., 0.5, 3.], np.float32), -1., 1.).array
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return Clip(x_min, x_max).apply((x,))[0]
