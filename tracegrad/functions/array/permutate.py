"""``permutate``: reorder an array along an axis by a permutation."""
from __future__ import annotations

import operator

import numpy

from tracegrad.backend import get_array_module
from tracegrad.backends import cuda
from tracegrad.configuration import config
from tracegrad.function_node import FunctionNode
from tracegrad.functions.array.get_item import _on_device
from tracegrad.utils import type_check
from tracegrad.variable import Variable, _is_array

__all__ = ['permutate']


class Permutate(FunctionNode):
    """``y = x.take(indices, axis)``; ``inverse`` is the inverse permutation (the gradient)."""

    def __init__(self, indices, inverse, axis: int):
        self.indices = indices
        self.inverse = inverse
        self.axis = axis

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        if self.axis >= 0:
            type_check.expect(x.ndim > self.axis)
        else:
            type_check.expect(x.ndim >= -self.axis)
        type_check.expect(x.shape[self.axis] == len(self.indices))

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        return xp.take(x, _on_device(xp, (self.indices,))[0], axis=self.axis),

    def backward(self, indexes, grad_outputs):
        return Permutate(self.inverse, self.indices, self.axis).apply(grad_outputs)


def permutate(x, indices, axis=0, inv=False) -> Variable:
    """Reorder ``x`` along ``axis``: ``y[i] = x[indices[i]]`` (along that axis).

    Args:
        x (Variable or array): input.
        indices (Variable or array): a 1-d int array holding a permutation of
            ``0 .. x.shape[axis] - 1`` (checked for NumPy indices, and for CuPy
            ones in debug mode, ``tracegrad.set_debug(True)``).
        axis (int): the axis to reorder.
        inv (bool): use the inverse permutation, i.e. ``y[indices[i]] = x[i]``.

    Returns:
        ~tracegrad.Variable: the reordered variable.

    >>> x = np.arange(6).reshape((3, 2)).astype(np.float32)
    >>> x
    array([[0., 1.],
           [2., 3.],
           [4., 5.]], dtype=float32)
    >>> indices = np.array([2, 0, 1], np.int32)
    >>> y = F.permutate(x, indices)
    >>> y.array
    array([[4., 5.],
           [0., 1.],
           [2., 3.]], dtype=float32)
    >>> y = F.permutate(x, indices, inv=True)
    >>> y.array
    array([[2., 3.],
           [4., 5.],
           [0., 1.]], dtype=float32)
    >>> indices = np.array([1, 0], np.int32)
    >>> y = F.permutate(x, indices, axis=1)
    >>> y.array
    array([[1., 0.],
           [3., 2.],
           [5., 4.]], dtype=float32)
    """
    if isinstance(indices, Variable):
        indices = indices.array
    if not _is_array(indices) or indices.dtype.kind != 'i' or indices.ndim != 1:
        raise ValueError('permutate: indices must be a one-dimensional int array')
    if isinstance(axis, bool):
        raise TypeError(f'permutate: axis must be an int, got {axis!r}')
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f'permutate: axis must be an int, got {type(axis).__name__}') from None
    n = len(indices)
    xp = get_array_module(indices)
    if isinstance(indices, (numpy.ndarray, cuda.ndarray)):
        # Checking device indices means waiting for the device: only in debug mode, as
        # in Chainer (host indices are checked always, which costs no wait).
        if isinstance(indices, numpy.ndarray) or config.debug:
            host = cuda.to_cpu(indices)
            if not numpy.array_equal(numpy.sort(host), numpy.arange(n)):
                raise ValueError(f'permutate: indices must be a permutation of 0..{n - 1}, '
                                 f'got {host.tolist()}')
        inverse = xp.argsort(indices).astype(indices.dtype)
    else:  # traced (e.g. a link's index array): no values to check, and no argsort
        hits = indices[None, :] == xp.arange(n, dtype=indices.dtype)[:, None]
        inverse = xp.argmax(hits, axis=1).astype(indices.dtype)
    forward, backward = (inverse, indices) if inv else (indices, inverse)
    return Permutate(forward, backward, axis).apply((x,))[0]
