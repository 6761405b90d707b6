"""``cumprod``: cumulative product along an axis.

Its gradient needs, for each position j, ``sum over i >= j of gy[i] * x[j+1] ... x[i]``,
which is the first-order linear recurrence ``s[j] = gy[j] + x[j+1] * s[j+1]`` run from
the end. :class:`LinearRecurrence` computes such recurrences, and its own gradient is
the recurrence run the other way, so cumprod is differentiable any number of times
and exact where ``x`` has zeros (no division by ``x``).
"""
from __future__ import annotations

import numbers

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.math.sum import check_axes
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['cumprod']


def _shift(x: Variable, axis: int, toward_end: bool, fill: float) -> Variable:
    """``x`` moved one step along ``axis``, the emptied position set to ``fill``."""
    from tracegrad.functions.array.pad import pad

    n = x.shape[axis]
    keep = slice(0, n - 1) if toward_end else slice(1, n)
    widths = [(0, 0)] * x.ndim
    widths[axis] = (1, 0) if toward_end else (0, 1)
    return pad(x[(slice(None),) * axis + (keep,)], widths, 'constant', constant_values=fill)


class LinearRecurrence(FunctionNode):
    """``z[i] = b[i] + a[i] * z[i - 1]`` along ``axis`` from the start (``z[-1] = 0``),
    or ``z[i] = b[i] + a[i] * z[i + 1]`` from the end if ``reverse``."""

    def __init__(self, axis: int, reverse: bool):
        self.axis = axis
        self.reverse = reverse

    def forward(self, inputs):
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        a, b = inputs
        xp = get_array_module(a)
        n = a.shape[self.axis]
        if n == 0:
            return b.copy(),
        head = (slice(None),) * self.axis
        z = [None] * n
        prev = None
        for i in (reversed(range(n)) if self.reverse else range(n)):
            z[i] = b[head + (i,)] if prev is None else b[head + (i,)] + a[head + (i,)] * prev
            prev = z[i]
        return xp.stack(z, axis=self.axis),

    def backward(self, indexes, grad_outputs):
        a, = self.get_retained_inputs()
        z, = self.get_retained_outputs()
        gz, = grad_outputs
        # z[i] depends on b[j] through the product of the a's between them; the
        # adjoint walks the other way, with the a's one step shifted.
        back = not self.reverse
        w = LinearRecurrence(self.axis, back).apply(
            (_shift(a, self.axis, toward_end=self.reverse, fill=0.), gz))[0]
        grads = []
        if 0 in indexes:
            grads.append(w * _shift(z, self.axis, toward_end=back, fill=0.))
        if 1 in indexes:
            grads.append(w)
        return tuple(grads)


class Cumprod(FunctionNode):
    """Cumulative product along ``axis`` (of the flattened input if None)."""

    def __init__(self, axis=None):
        if axis is not None and (not isinstance(axis, numbers.Integral)
                                 or isinstance(axis, bool)):
            raise TypeError(f'cumprod: axis must be None or an int, got {axis!r}')
        self.axis = None if axis is None else int(axis)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')
        check_axes(in_types[0], None if self.axis is None else (self.axis,))

    def forward(self, inputs):
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        x, = inputs
        xp = get_array_module(x)
        return xp.cumprod(x, axis=self.axis),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape

        x, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        gy, = grad_outputs
        if self.axis is None:
            shape, axis = x.shape, 0
            x = reshape(x, (x.size,))
        else:
            shape, axis = None, self.axis % x.ndim
        # gx[j] = y[j-1] * sum over i >= j of gy[i] * x[j+1] * ... * x[i]  (y[-1] = 1)
        s = LinearRecurrence(axis, True).apply(
            (_shift(x, axis, toward_end=False, fill=0.), gy))[0]
        gx = s * _shift(y, axis, toward_end=True, fill=1.)
        return (gx if shape is None else reshape(gx, shape)),


def cumprod(x, axis=None) -> Variable:
    """Cumulative product of array elements along an axis.

    Args:
        x (Variable or array): a float array.
        axis (None or int): the axis; None multiplies along the flattened array.

    Returns:
        ~tracegrad.Variable: the running products (1-D if ``axis`` is None).

    >>> F.cumprod(np.array([[1., 2.], [3., 4.]], np.float32), axis=1).array
    array([[ 1.,  2.],
           [ 3., 12.]], dtype=float32)
    """
    return Cumprod(axis).apply((x,))[0]
