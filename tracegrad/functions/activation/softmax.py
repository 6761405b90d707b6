"""Softmax along an axis: ``softmax`` and ``log_softmax``.

Both subtract the maximum along the axis before exponentiating, so large
inputs do not overflow. Their gradients are nodes of their own whose backward
is written with Variable arithmetic and ``F.sum``, so they differentiate again.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['log_softmax', 'softmax']


def _sum_along(x: Variable, axis: int) -> Variable:
    from tracegrad.functions.math.sum import sum

    return sum(x, axis=axis, keepdims=True)


class _AlongAxis(FunctionNode):
    """A function of a float array along ``axis`` (negative counts from the end)."""

    def __init__(self, axis: int):
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(x.dtype.kind == 'f', -x.ndim <= self.axis, self.axis < x.ndim)


class Softmax(_AlongAxis):
    """``exp(x) / sum(exp(x))`` along ``axis``."""

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        e = xp.exp(x - xp.max(x, axis=self.axis, keepdims=True))
        self.retain_outputs((0,))
        return e / xp.sum(e, axis=self.axis, keepdims=True),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return SoftmaxGrad(self.axis).apply((y, grad_outputs[0]))


class SoftmaxGrad(FunctionNode):
    """``y * (gy - sum(y * gy))`` along ``axis``, from the softmax output ``y``."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        y, gy = inputs
        xp = get_array_module(y)
        ygy = y * gy
        return ygy - y * xp.sum(ygy, axis=self.axis, keepdims=True),

    def backward(self, indexes, grad_outputs):
        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        ggx_centered = ggx - _sum_along(ggx * y, self.axis)
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(ggx_centered * gy - ggx * _sum_along(y * gy, self.axis))
            else:
                ret.append(ggx_centered * y)
        return tuple(ret)


class LogSoftmax(_AlongAxis):
    """``x - log(sum(exp(x)))`` along ``axis``."""

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        m = xp.max(x, axis=self.axis, keepdims=True)
        shifted = x - m
        log_z = xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))
        self.retain_outputs((0,))
        return shifted - log_z,

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return LogSoftmaxGrad(self.axis).apply((y, grad_outputs[0]))


class LogSoftmaxGrad(FunctionNode):
    """``gy - exp(y) * sum(gy)`` along ``axis``, from the log-softmax output ``y``."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        y, gy = inputs
        xp = get_array_module(y)
        return gy - xp.exp(y) * xp.sum(gy, axis=self.axis, keepdims=True),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        p = exp(y)
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(-ggx * p * _sum_along(gy, self.axis))
            else:
                ret.append(ggx - _sum_along(ggx * p, self.axis))
        return tuple(ret)


def _check_axis(name: str, axis) -> None:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f'{name}: axis must be an int, got {type(axis).__name__}')


def softmax(x, axis=1) -> Variable:
    """Softmax along ``axis``: ``exp(x) / sum(exp(x))`` over each slice.

    (The examples compare with ``allclose``: NumPy's vectorised float32 ``exp``
    may differ from the values in Chainer's documentation in the last digit.)

    Args:
        x (Variable or array): a float array with at least ``axis + 1`` dimensions.
        axis (int): the axis to normalise over.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype; each slice along
        ``axis`` sums to one.

    >>> x = np.array([[0, 1, 2], [0, 2, 4]], np.float32)
    >>> x
    array([[0., 1., 2.],
           [0., 2., 4.]], dtype=float32)
    >>> y = F.softmax(x, axis=1)
    >>> np.allclose(y.array, [[0.09003057, 0.24472848, 0.66524094],
    ...                       [0.01587624, 0.11731043, 0.86681336]])
    True
    >>> F.sum(y, axis=1).array
    array([1., 1.], dtype=float32)
    """
    _check_axis('softmax', axis)
    return Softmax(axis).apply((x,))[0]


def log_softmax(x, axis=1) -> Variable:
    """Logarithm of the softmax along ``axis``, computed without forming the softmax.

    It equals ``log(softmax(x))`` but stays finite where the softmax would
    underflow to zero.

    Args:
        x (Variable or array): a float array with at least ``axis + 1`` dimensions.
        axis (int): the axis to normalise over.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype.

    >>> x = np.array([[0, 1, 2], [0, 2, 4]], np.float32)
    >>> x
    array([[0., 1., 2.],
           [0., 2., 4.]], dtype=float32)
    >>> np.allclose(F.log_softmax(x).array, [[-2.407606, -1.4076059, -0.4076059],
    ...                                      [-4.1429315, -2.1429315, -0.14293146]])
    True
    >>> np.allclose(F.log_softmax(x).data, F.log(F.softmax(x)).data)
    True
    """
    _check_axis('log_softmax', axis)
    return LogSoftmax(axis).apply((x,))[0]
