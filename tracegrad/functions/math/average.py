"""Means: ``average`` (optionally weighted) and its alias ``mean``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.sum import Reduction, broadcast_reduced, normalize_axis, sum
from tracegrad.variable import Variable, as_variable

__all__ = ['average', 'mean']


class Mean(Reduction):
    """Mean of the elements over axes."""

    def forward(self, inputs):
        x, = inputs
        self._setup(x)
        count = 1
        for a in self._axes:
            count *= x.shape[a]
        self._scale = 1.0 / count if count else float('nan')
        xp = get_array_module(x)
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims) * x.dtype.type(self._scale),

    def backward(self, indexes, grad_outputs):
        return broadcast_reduced(grad_outputs[0] * self._scale, self._in_shape, self._axes),


def average(x, axis=None, weights=None, keepdims=False, *, returned=False):
    """Weighted average of array elements over the given axes.

    Args:
        x (Variable or array): a float array.
        axis (None, int or tuple of int): axes to average over; None averages all.
            With ``weights``, at most one axis.
        weights (None, Variable or array): weights of the elements. None weighs all
            equally. With ``axis=None`` it has the shape of ``x``; with one axis it is
            1-D, of length ``x.shape[axis]``.
        keepdims (bool): keep the reduced axes as axes of length one.
        returned (bool): also return the sum of the weights (as NumPy's ``average``
            does), broadcast to the shape of the average.

    Returns:
        ~tracegrad.Variable: the averages, or ``(average, sum_of_weights)`` if
        ``returned``.

    >>> x = np.array([[1., 2.], [3., 6.]], np.float32)
    >>> F.average(x).array
    array(3., dtype=float32)
    >>> F.average(x, axis=1, weights=np.array([1., 3.], np.float32)).array
    array([1.75, 5.25], dtype=float32)
    """
    if weights is None:
        y = Mean(axis, keepdims).apply((x,))[0]
        if not returned:
            return y
        count = x.size // max(y.size, 1) if x.size else 0
        return y, Variable(y.xp.full(y.shape, count, y.dtype), requires_grad=False)

    axes = normalize_axis('average', axis)
    x = as_variable(x)
    if axes is None:
        if weights.shape != x.shape:
            raise ValueError(f'average: weights must have the shape of x when axis is None, '
                             f'got weights.shape={weights.shape}, x.shape={x.shape}')
        w = weights
    else:
        if len(axes) > 1:
            raise ValueError(f'average: a tuple axis is not supported with weights, '
                             f'got axis={axis}')
        a = axes[0]
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f'average: axis {a} is out of range for x.ndim={x.ndim}')
        a %= x.ndim
        if weights.shape != (x.shape[a],):
            raise ValueError(f'average: weights must be 1-D of length x.shape[{a}]='
                             f'{x.shape[a]}, got weights.shape={weights.shape}')
        w = broadcast_reduced(weights, x.shape, [i for i in range(x.ndim) if i != a])
    total = sum(weights)
    y = sum(x * w, axis, keepdims) / total
    if returned:
        return y, broadcast_reduced(total, y.shape, range(y.ndim))
    return y


mean = average
