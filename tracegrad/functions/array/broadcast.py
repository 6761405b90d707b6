"""Broadcasting: ``broadcast_to`` and ``broadcast``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable, as_variable

__all__ = ['broadcast', 'broadcast_to']


class BroadcastTo(FunctionNode):
    """Broadcast an array to a shape."""

    def __init__(self, shape):
        self._shape = tuple(shape)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_shape = in_types[0].shape.eval()
        shape = self._shape
        ok = len(x_shape) <= len(shape) and all(
            xs == 1 or xs == s for xs, s in zip(x_shape[::-1], shape[::-1]))
        if not ok:
            raise type_check.InvalidType(f'x.shape broadcastable to {shape}',
                                         f'x.shape == {x_shape}')

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self._shape),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        return sum_to(grad_outputs[0], self._in_shape),


def broadcast_to(x, shape) -> Variable:
    """Broadcast ``x`` to ``shape`` (NumPy's rules); the gradient is summed back.

    Args:
        x (Variable or array): input.
        shape (tuple of int): the target shape.

    Returns:
        ~tracegrad.Variable: output of ``shape``.

    >>> x = np.arange(0, 3)
    >>> x
    array([0, 1, 2])
    >>> y = F.broadcast_to(x, (3, 3))
    >>> y.array
    array([[0, 1, 2],
           [0, 1, 2],
           [0, 1, 2]])
    """
    shape = tuple(shape)
    if getattr(x, 'shape', None) == shape:
        return as_variable(x)
    return BroadcastTo(shape).apply((x,))[0]


class Broadcast(FunctionNode):
    """Broadcast several arrays against each other."""

    def check_type_forward(self, in_types):
        type_check.expect(in_types.size() > 0)
        type_check.expect_broadcast_shapes(*[t.shape for t in in_types])

    def forward(self, inputs):
        self._in_shapes = [x.shape for x in inputs]
        return tuple(get_array_module(*inputs).broadcast_arrays(*inputs))

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        return tuple(None if grad_outputs[i] is None
                     else sum_to(grad_outputs[i], self._in_shapes[i]) for i in indexes)


def broadcast(*args):
    """Broadcast the inputs against each other (NumPy's rules).

    Args:
        args (Variables or arrays): the inputs.

    Returns:
        ~tracegrad.Variable or tuple of them: one output per input, all of the
        broadcast shape (a single Variable when one input is given).

    >>> x = np.random.uniform(0, 1, (3, 2)).astype(np.float32)
    >>> y = F.broadcast(x)
    >>> bool(np.all(x == y.array))
    True
    >>> z = np.random.uniform(0, 1, (3, 2)).astype(np.float32)
    >>> y, w = F.broadcast(x, z)
    >>> bool(np.all(x == y.array) & np.all(z == w.array))
    True
    """
    if len(args) == 0:
        raise ValueError('broadcast: at least one input is required')
    if len(args) == 1:
        return as_variable(args[0])
    return Broadcast().apply(args)
