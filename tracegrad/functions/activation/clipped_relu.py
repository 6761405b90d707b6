"""ReLU capped from above: ``clipped_relu`` and ``relu6``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['clipped_relu', 'relu6']


class ClippedReLU(FunctionNode):
    """``min(max(x, 0), z)``."""

    def __init__(self, z: float):
        self.cap = z

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    def forward(self, inputs):
        x, = inputs
        self.retain_inputs((0,))
        xp = get_array_module(x)
        return xp.minimum(xp.maximum(x, 0), x.dtype.type(self.cap)),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        x = x.array
        return ClippedReLUGrad((x > 0) & (x < self.cap)).apply(grad_outputs)


class ClippedReLUGrad(FunctionNode):
    """``gy`` where ``0 < x < z``, zero elsewhere; the mask is a constant of the node."""

    def __init__(self, inside):
        self.inside = inside

    def forward(self, inputs):
        gy, = inputs
        return gy * self.inside,

    def backward(self, indexes, grad_outputs):
        return ClippedReLUGrad(self.inside).apply(grad_outputs)


def clipped_relu(x, z=20.0) -> Variable:
    """Clipped ReLU: ``min(max(0, x), z)``, elementwise.

    Args:
        x (Variable or array): a float array of any shape.
        z (float): the positive cap of the output.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``, in ``[0, z]``.

    >>> x = np.random.uniform(-100, 100, (10, 20)).astype(np.float32)
    >>> z = 10.0
    >>> bool(np.any(x < 0))
    True
    >>> bool(np.any(x > z))
    True
    >>> y = F.clipped_relu(x, z=z)
    >>> bool(np.any(y.array < 0))
    False
    >>> bool(np.any(y.array > z))
    False
    """
    if not isinstance(z, float):
        raise TypeError(f'clipped_relu: z must be a float, got {type(z).__name__} {z!r}')
    if not z > 0:
        raise ValueError(f'clipped_relu: z must be positive, got {z}')
    return ClippedReLU(z).apply((x,))[0]


def relu6(x) -> Variable:
    """ReLU capped at 6: ``min(max(0, x), 6)``.

    Args:
        x (Variable or array): a float array of any shape.

    Returns:
        ~tracegrad.Variable: output of the same shape and dtype as ``x``.

    >>> x = np.array([-20, -2, 0, 2, 4, 10, 100]).astype(np.float32)
    >>> x
    array([-20.,  -2.,   0.,   2.,   4.,  10., 100.], dtype=float32)
    >>> F.relu6(x)
    variable([0., 0., 0., 2., 4., 6., 6.])
    """
    return ClippedReLU(6.0).apply((x,))[0]
