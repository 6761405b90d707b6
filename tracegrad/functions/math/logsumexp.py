"""``logsumexp``: :math:`\\log \\sum \\exp x` over axes, computed stably."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.exponential import exp
from tracegrad.functions.math.sum import Reduction, broadcast_reduced
from tracegrad.variable import Variable

__all__ = ['logsumexp']


class LogSumExp(Reduction):
    """``m + log(sum(exp(x - m)))`` with ``m`` the max, so large ``x`` do not overflow."""

    def forward(self, inputs):
        x, = inputs
        self._setup(x)
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        xp = get_array_module(x)
        m = xp.max(x, axis=self.axis, keepdims=True)
        s = xp.sum(xp.exp(x - m), axis=self.axis)
        return xp.log(s) + m.reshape(s.shape),

    def backward(self, indexes, grad_outputs):
        # d/dx = exp(x - y), the softmax over the reduced axes
        x, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        shape, axes = self._in_shape, self._axes
        gy = broadcast_reduced(grad_outputs[0], shape, axes)
        return gy * exp(x - broadcast_reduced(y, shape, axes)),


def logsumexp(x, axis=None) -> Variable:
    """Log of the sum of exponentials over the given axes.

    Args:
        x (Variable or array): a float array.
        axis (None, int or tuple of int): axes to reduce; None reduces all of them.

    Returns:
        ~tracegrad.Variable: :math:`\\log \\sum \\exp x`.

    >>> y = F.logsumexp(np.array([[0., 0.], [1000., 1000.]], np.float32), axis=1)
    >>> [round(float(v), 3) for v in y.array]  # exp(1000) overflows float32; this does not
    [0.693, 1000.693]
    """
    return LogSumExp(axis).apply((x,))[0]
