"""``scatter_add``: a copy of ``a`` with ``b`` added at ``a[slices]``."""
from __future__ import annotations

import numpy

from tracegrad.backends import cuda
from tracegrad.function_node import FunctionNode
from tracegrad.functions.array.get_item import GetItemGrad, _check_slices, _normalize_slices
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['scatter_add']


def _shape_stand_in(index):
    """An index that selects a region of the same shape as ``index`` does, on the host.

    The values of an integer index array do not change the shape it selects, so a
    device (or traced) one is replaced by host zeros without copying it from the
    device; only a boolean mask's values count (and CuPy waits for them too).
    """
    if not hasattr(index, 'shape') or isinstance(index, numpy.ndarray):
        return index
    if index.dtype.kind == 'b':
        return cuda.to_cpu(index)
    return numpy.zeros(index.shape, numpy.intp)


class ScatterAdd(FunctionNode):
    """``a + scatter(b)``: the scatter is :class:`GetItemGrad`, whose gradient is ``get_item``."""

    def __init__(self, slices: tuple):
        self.slices = slices

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('a', 'b'))
        a, b = in_types
        n_real = sum(1 for s in self.slices if s is not None and s is not Ellipsis)
        type_check.expect(a.dtype == b.dtype, a.ndim >= n_real)
        a_shape = type_check.eval(a.shape)
        region = numpy.broadcast_to(numpy.empty((), numpy.int8), a_shape)[
            tuple(_shape_stand_in(s) for s in self.slices)].shape
        if type_check.eval(b.shape) != region:
            raise type_check.InvalidType(f'b.shape == a[slices].shape == {region} '
                                         '(b is not broadcast)',
                                         f'b.shape == {type_check.eval(b.shape)}')

    def forward(self, inputs):
        a, b = inputs
        self._a_shape = a.shape
        return a + GetItemGrad(self.slices, a.shape).forward((b,))[0],

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.get_item import GetItem

        gy, = grad_outputs
        return tuple(gy if i == 0 else GetItem(self.slices).apply((gy,))[0] for i in indexes)


def scatter_add(a, slices, b) -> Variable:
    """Return a copy of ``a`` with ``b`` added to the elements ``a[slices]``.

    Elements that ``slices`` picks more than once receive each of their
    values of ``b`` (as :func:`numpy.add.at`); ``a`` itself is not changed.

    Args:
        a (Variable or array): the array to add to.
        slices (int, slice, Ellipsis, None, integer array-like, boolean
            array-like or tuple of them): the index, as for :func:`get_item`.
        b (Variable or array): the values to add, of the shape of
            ``a[slices]`` (it is not broadcast) and the dtype of ``a``.

    Returns:
        ~tracegrad.Variable: the sum.

    >>> a = np.zeros((2, 3), np.float32)
    >>> F.scatter_add(a, (slice(None), [0, 2, 0]), np.ones((2, 3), np.float32)).array
    array([[2., 0., 1.],
           [2., 0., 1.]], dtype=float32)
    """
    slices = _normalize_slices(slices)
    try:
        _check_slices(slices)
    except (TypeError, ValueError) as e:
        raise type(e)(str(e).replace('get_item', 'scatter_add')) from None
    return ScatterAdd(slices).apply((a, b))[0]
