"""``identity``: returns its inputs (a graph node that does nothing)."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode

__all__ = ['identity']


class Identity(FunctionNode):
    def forward(self, inputs):
        return tuple(inputs)

    def backward(self, indexes, grad_outputs):
        return grad_outputs


def identity(*inputs):
    """Return the inputs as new Variables, each gradient passed through unchanged.

    Args:
        inputs (Variables or arrays): any number of arrays.

    Returns:
        ~tracegrad.Variable or tuple of Variables: one Variable if given one input,
        a tuple otherwise.

    >>> F.identity(np.array([1., 2.], np.float32))
    variable([1., 2.])
    """
    ret = Identity().apply(inputs)
    return ret[0] if len(ret) == 1 else ret
