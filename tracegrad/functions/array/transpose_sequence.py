"""``transpose_sequence``: a batch of sequences to a sequence of batches (and back)."""
from __future__ import annotations

import itertools

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check

__all__ = ['transpose_sequence']


class TransposeSequence(FunctionNode):
    """Turn arrays sorted by decreasing length into their per-step batches."""

    def __init__(self, length: int):
        self._length = length

    def check_type_forward(self, in_types):
        for i, (p, n) in enumerate(itertools.pairwise(in_types)):
            type_check._argname((p, n), (f'xs[{i}]', f'xs[{i + 1}]'))
            type_check.expect(p.ndim > 0, n.ndim > 0)
            type_check.expect(p.shape[0] >= n.shape[0], p.shape[1:] == n.shape[1:])

    def forward(self, xs):
        xp = get_array_module(*xs)
        self._unit = xs[0].shape[1:]
        self._dtype = xs[0].dtype
        outs = []
        for t in range(self._length):
            rows = [x[t:t + 1] for x in xs if x.shape[0] > t]
            outs.append(xp.concatenate(rows, axis=0) if rows
                        else xp.zeros((0,) + self._unit, self._dtype))
        self._batches = [y.shape[0] for y in outs]
        return tuple(outs)

    def backward(self, indexes, grad_outputs):
        gys = list(grad_outputs)
        missing = [i for i, g in enumerate(gys) if g is None]
        if missing:
            xp = get_array_module(*[g for g in gys if g is not None])
            for i in missing:
                gys[i] = xp.zeros((self._batches[i],) + self._unit, self._dtype)
        return TransposeSequence(len(self.inputs)).apply(gys)


def transpose_sequence(xs) -> tuple:
    """Transpose a list of sequences sorted by decreasing length.

    Output ``t`` holds element ``t`` of every input that is longer than ``t``:
    ``[(0, 1, 2, 3), (4, 5), (6,)]`` becomes ``[(0, 4, 6), (1, 5), (2,), (3,)]``.

    Args:
        xs (list of Variables or arrays): inputs sorted by decreasing ``len``,
            agreeing in all axes but the first.

    Returns:
        tuple of ~tracegrad.Variable: one variable per time step.

    >>> lst = [chainer.Variable(np.array([1, 1, 1])),
    ...        chainer.Variable(np.array([2, 2])),
    ...        chainer.Variable(np.array([3]))]
    >>> lst
    [variable([1, 1, 1]), variable([2, 2]), variable([3])]
    >>> transposed = F.transpose_sequence(lst)
    >>> transposed
    (variable([1, 2, 3]), variable([1, 2]), variable([1]))
    """
    if not xs:
        return ()
    return TransposeSequence(len(xs[0])).apply(xs)
