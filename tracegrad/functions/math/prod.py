"""``prod``: product of elements over axes."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.math.sum import Reduction, broadcast_reduced
from tracegrad.variable import Variable

__all__ = ['prod']


class Prod(Reduction):
    """Product over axes.

    The gradient of an element is the product of the others. To stay exact when
    some elements are zero, zeros are replaced by ones (``z``) and
    ``P = prod(z)`` is taken: with no zero in a group the gradient is ``P / z``,
    with one zero it is ``P`` at that zero and 0 elsewhere, with more it is 0.
    """

    def forward(self, inputs):
        x, = inputs
        self._setup(x)
        self.retain_inputs((0,))
        xp = get_array_module(x)
        return xp.prod(x, axis=self.axis, keepdims=self.keepdims),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        xp = x.xp
        dtype = x.dtype
        zero = x.array == 0
        n_zeros = xp.sum(zero, axis=self._axes, keepdims=True)
        z = x * (~zero).astype(dtype) + zero.astype(dtype)
        p = Prod(self._axes, True).apply((z,))[0]
        no_zero = xp.broadcast_to(n_zeros == 0, x.shape).astype(dtype)
        lone_zero = (zero & (n_zeros == 1)).astype(dtype)
        shape, axes = self._in_shape, self._axes
        gy = broadcast_reduced(grad_outputs[0], shape, axes)
        p = broadcast_reduced(p, shape, axes)
        return gy * p * (no_zero / z + lone_zero),


def prod(x, axis=None, keepdims=False) -> Variable:
    """Product of array elements over the given axes.

    Args:
        x (Variable or array): a float array.
        axis (None, int or tuple of int): axes to multiply over; None uses all.
        keepdims (bool): keep the reduced axes as axes of length one.

    Returns:
        ~tracegrad.Variable: the products.

    >>> F.prod(np.array([[1., 2.], [3., 4.]], np.float32), axis=0).array
    array([3., 8.], dtype=float32)
    """
    return Prod(axis, keepdims).apply((x,))[0]
