"""Sub-pixel rearrangements: ``space2depth`` and its inverse ``depth2space``.

Both are a reshape, a transpose and a reshape, so each one's gradient is the
other. For ``r`` and ``c`` output/input channels, channel ``(i * r + j) * c + k``
of the deep array holds the pixels at row offset ``i`` and column offset ``j``
of channel ``k`` of the wide one.
"""
from __future__ import annotations

import operator

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['depth2space', 'space2depth']


class Space2Depth(FunctionNode):
    """(n, c, h * r, w * r) -> (n, c * r * r, h, w)."""

    def __init__(self, r: int):
        self.r = r

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('X',))
        x = in_types[0]
        type_check.expect(x.dtype.kind == 'f', x.ndim == 4)
        type_check.expect(x.shape[2] % self.r == 0, x.shape[3] % self.r == 0)

    def forward(self, inputs):
        x, = inputs
        n, c, hr, wr = x.shape
        r = self.r
        y = x.reshape(n, c, hr // r, r, wr // r, r).transpose(0, 3, 5, 1, 2, 4)
        return y.reshape(n, r * r * c, hr // r, wr // r),

    def backward(self, indexes, grad_outputs):
        return Depth2Space(self.r).apply(grad_outputs)


class Depth2Space(FunctionNode):
    """(n, c * r * r, h, w) -> (n, c, h * r, w * r)."""

    def __init__(self, r: int):
        self.r = r

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('X',))
        x = in_types[0]
        type_check.expect(x.dtype.kind == 'f', x.ndim == 4)
        type_check.expect(x.shape[1] % (self.r * self.r) == 0)

    def forward(self, inputs):
        x, = inputs
        n, crr, h, w = x.shape
        r = self.r
        c = crr // (r * r)
        y = x.reshape(n, r, r, c, h, w).transpose(0, 3, 4, 1, 5, 2)
        return y.reshape(n, c, h * r, w * r),

    def backward(self, indexes, grad_outputs):
        return Space2Depth(self.r).apply(grad_outputs)


def _factor(caller: str, r) -> int:
    if isinstance(r, bool):
        raise TypeError(f'{caller}: r must be a positive int, got {r!r}')
    try:
        r = operator.index(r)
    except TypeError:
        raise TypeError(f'{caller}: r must be a positive int, got {type(r).__name__}') from None
    if r < 1:
        raise ValueError(f'{caller}: r must be a positive int, got {r}')
    return r


def space2depth(X, r) -> Variable:
    """Move ``r`` x ``r`` blocks of pixels into channels (inverse of :func:`depth2space`).

    Args:
        X (Variable or array): a 4-d float array of shape
            ``(batch, channel, dim1 * r, dim2 * r)``.
        r (int): the downscaling factor.

    Returns:
        ~tracegrad.Variable: the array of shape ``(batch, channel * r * r, dim1, dim2)``.

    See https://arxiv.org/abs/1609.05158 (sub-pixel convolution).

    >>> X = np.arange(24).reshape(1, 1, 4, 6).astype(np.float32)
    >>> X.shape
    (1, 1, 4, 6)
    >>> X
    array([[[[ 0.,  1.,  2.,  3.,  4.,  5.],
             [ 6.,  7.,  8.,  9., 10., 11.],
             [12., 13., 14., 15., 16., 17.],
             [18., 19., 20., 21., 22., 23.]]]], dtype=float32)
    >>> y = F.space2depth(X, 2)
    >>> y.shape
    (1, 4, 2, 3)
    >>> y.array
    array([[[[ 0.,  2.,  4.],
             [12., 14., 16.]],
    <BLANKLINE>
            [[ 1.,  3.,  5.],
             [13., 15., 17.]],
    <BLANKLINE>
            [[ 6.,  8., 10.],
             [18., 20., 22.]],
    <BLANKLINE>
            [[ 7.,  9., 11.],
             [19., 21., 23.]]]], dtype=float32)
    """
    return Space2Depth(_factor('space2depth', r)).apply((X,))[0]


def depth2space(X, r) -> Variable:
    """Spread groups of ``r * r`` channels into ``r`` x ``r`` blocks of pixels.

    Args:
        X (Variable or array): a 4-d float array of shape
            ``(batch, channel * r * r, dim1, dim2)``.
        r (int): the upscaling factor.

    Returns:
        ~tracegrad.Variable: the array of shape ``(batch, channel, dim1 * r, dim2 * r)``.

    See https://arxiv.org/abs/1609.05158 (sub-pixel convolution).

    >>> X = np.arange(24).reshape(1, 4, 2, 3).astype(np.float32)
    >>> X.shape
    (1, 4, 2, 3)
    >>> X
    array([[[[ 0.,  1.,  2.],
             [ 3.,  4.,  5.]],
    <BLANKLINE>
            [[ 6.,  7.,  8.],
             [ 9., 10., 11.]],
    <BLANKLINE>
            [[12., 13., 14.],
             [15., 16., 17.]],
    <BLANKLINE>
            [[18., 19., 20.],
             [21., 22., 23.]]]], dtype=float32)
    >>> y = F.depth2space(X, 2)
    >>> y.shape
    (1, 1, 4, 6)
    >>> y.array
    array([[[[ 0.,  6.,  1.,  7.,  2.,  8.],
             [12., 18., 13., 19., 14., 20.],
             [ 3.,  9.,  4., 10.,  5., 11.],
             [15., 21., 16., 22., 17., 23.]]]], dtype=float32)
    """
    return Depth2Space(_factor('depth2space', r)).apply((X,))[0]
