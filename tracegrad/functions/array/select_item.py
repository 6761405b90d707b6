"""Per-row selection: ``select_item`` (``y[i] = x[i, t[i]]``)."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['select_item']


class SelectItem(FunctionNode):
    """Pick one element per row of a matrix."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 't'))
        x, t = in_types
        type_check.expect(t.dtype.kind == 'i', x.ndim == 2, t.ndim == 1,
                          x.shape[0] == t.shape[0])

    def forward(self, inputs):
        self.retain_inputs((1,))
        x, t = inputs
        self._in_shape = x.shape
        xp = get_array_module(x)
        return x[xp.arange(t.shape[0]), t],

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.broadcast import broadcast_to
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.array.where import where

        t, = self.get_retained_inputs()
        gy, = grad_outputs
        n, c = self._in_shape
        xp = gy.xp
        # A one-hot mask of the picked columns spreads gy back without a scatter.
        mask = xp.arange(c)[None, :] == t.array[:, None]
        gx = where(mask, broadcast_to(reshape(gy, (n, 1)), (n, c)), xp.zeros((), gy.dtype))
        return gx, None


def select_item(x, t) -> Variable:
    """Select ``x[i, t[i]]`` for every row ``i`` (that is, ``t.choose(x.T)``).

    Args:
        x (Variable or array): a 2-d float array.
        t (Variable or array): a 1-d int array of ``x.shape[0]`` column indices.

    Returns:
        ~tracegrad.Variable: the 1-d variable of selected elements.

    >>> x = np.array([[0, 1, 2], [3, 4, 5]], np.float32)
    >>> t = np.array([0, 2], np.int32)
    >>> y = F.select_item(x, t)
    >>> y.shape
    (2,)
    >>> y.array
    array([0., 5.], dtype=float32)
    """
    return SelectItem().apply((x, t))[0]
