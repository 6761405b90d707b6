"""Huber loss: squared near zero, linear beyond ``delta`` (robust regression)."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.functions.loss._checks import check_reduce
from tracegrad.utils import type_check

__all__ = ['huber_loss']


class HuberLoss(FunctionNode):
    """``0.5 a**2`` where ``|a| <= delta``, else ``delta * (|a| - 0.5 delta)``; ``a = x - t``."""

    label = 'huber_loss'

    def __init__(self, delta, reduce='sum_along_second_axis'):
        self.delta = delta
        self.reduce = reduce

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 't'))
        x_type, t_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            x_type.dtype == t_type.dtype,
            x_type.shape == t_type.shape,
        )
        if self.reduce == 'sum_along_second_axis':
            type_check.expect(x_type.ndim >= 2)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, t = inputs
        xp = backend.get_array_module(x)
        half = x.dtype.type(0.5)
        delta = x.dtype.type(self.delta)
        abs_diff = xp.abs(x - t)
        loss = xp.where(abs_diff <= delta, half * abs_diff * abs_diff,
                        delta * (abs_diff - half * delta))
        if self.reduce == 'sum_along_second_axis':
            loss = loss.sum(axis=1)
        return loss,

    def backward(self, indexes, grad_outputs):
        from tracegrad import functions as F

        x, t = self.get_retained_inputs()
        xp = x.xp
        gy, = grad_outputs
        diff = x - t
        # d loss / d diff = clip(diff, -delta, delta): diff inside, +-delta outside.
        delta = x.dtype.type(self.delta)
        inside = xp.abs(diff.array) <= delta
        clipped = diff * inside.astype(x.dtype) + xp.where(inside, 0, xp.sign(diff.array) * delta
                                                           ).astype(x.dtype)
        if self.reduce == 'sum_along_second_axis':
            gy = F.expand_dims(gy, 1)
        gx = F.broadcast_to(gy, x.shape) * clipped
        return gx, -gx


def huber_loss(x, t, delta, reduce='sum_along_second_axis'):
    """Huber loss between ``x`` and ``t``: quadratic for small errors, linear for large.

    With ``a = x - t`` elementwise, the loss is ``a**2 / 2`` where ``|a| <= delta`` and
    ``delta * (|a| - delta / 2)`` elsewhere, so outliers weigh less than in
    :func:`mean_squared_error`.

    Args:
        x (~tracegrad.Variable or array): predictions, of shape ``(N, K, ...)`` when
            ``reduce='sum_along_second_axis'``.
        t (~tracegrad.Variable or array): targets of ``x``'s shape and dtype.
        delta (float): where the loss turns from quadratic to linear.
        reduce (str): ``'sum_along_second_axis'`` sums over axis 1; ``'no'`` returns
            the elementwise losses.

    Returns:
        ~tracegrad.Variable: the loss, of ``x``'s shape without axis 1 (or of ``x``'s
        shape with ``reduce='no'``).

    .. admonition:: Example

        Without reduction the output has the inputs' shape:

        >>> x = np.array([[-2.0, 3.0, 0.5], [5.0, 2.0, -0.5]]).\
astype(np.float32)
        >>> x.shape
        (2, 3)
        >>> t = np.array([[-2.0, 3.0, 0.0], [10.0, 2.0, -0.5]]).\
astype(np.float32)
        >>> t.shape
        (2, 3)
        >>> y = F.huber_loss(x, t, delta=1.0, reduce='no')
        >>> y.shape
        (2, 3)
        >>> y
        variable([[0.   , 0.   , 0.125],
                  [4.5  , 0.   , 0.   ]])

        With reduction along the second axis:

        >>> y = F.huber_loss(x, t, delta=1.0, reduce='sum_along_second_axis')
        >>> y.shape
        (2,)
        >>> y
        variable([0.125, 4.5  ])
    """
    check_reduce('huber_loss', reduce, ('sum_along_second_axis', 'no'))
    return HuberLoss(delta=delta, reduce=reduce).apply((x, t))[0]
