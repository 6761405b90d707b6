"""``batch_l2_norm_squared``: the squared L2 norm of each example of a batch."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['batch_l2_norm_squared']


class BatchL2NormSquared(FunctionNode):
    """``sum(x[i] ** 2)`` over all axes but the first."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x, = in_types
        type_check.expect(x.dtype.kind == 'f', x.ndim >= 2)

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        xp = get_array_module(x)
        x = x.reshape(x.shape[0], -1)
        return xp.sum(x * x, axis=1),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.broadcast import broadcast_to
        from tracegrad.functions.array.reshape import reshape

        x, = self.get_retained_inputs()
        gy, = grad_outputs
        gy = broadcast_to(reshape(gy, (x.shape[0],) + (1,) * (x.ndim - 1)), x.shape)
        return 2 * x * gy,


def batch_l2_norm_squared(x) -> Variable:
    """Squared L2 norm of each example of a batch.

    Args:
        x (Variable or array): a float array of ndim >= 2 whose first axis is
            the batch; the other axes are flattened into one vector per example.

    Returns:
        ~tracegrad.Variable: a 1-D array, the ``x.shape[0]`` squared norms.

    >>> F.batch_l2_norm_squared(np.array([[3., 4.], [1., 0.]], np.float32)).array
    array([25.,  1.], dtype=float32)
    """
    return BatchL2NormSquared().apply((x,))[0]
