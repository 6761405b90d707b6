"""``shift``: the zero-parameter spatial "convolution" of Wu et al. (2017)."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import pair
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['shift']


class Shift(FunctionNode):
    """Each channel group moved by one offset of the ``kh x kw`` grid (zero fill)."""

    def __init__(self, ksize: tuple, dilate: tuple):
        self.ksize = ksize
        self.dilate = dilate

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x = in_types[0]
        type_check.expect(x.dtype.kind == 'f', x.ndim == 4,
                          x.shape[1] >= self.ksize[0] * self.ksize[1])

    def offsets(self, channels: int):
        """``(first channel, last channel + 1, dy, dx)`` per group: channels move by
        ``(dy, dx)``. The centre group (no move) is swapped with the last, so the
        channels left over after equal groups stay in place."""
        (kh, kw), (sy, sx) = self.ksize, self.dilate
        groups = kh * kw
        size = channels // groups
        centre = (groups - 1) // 2
        for i in range(groups):
            cell = {centre: groups - 1, groups - 1: centre}.get(i, i)
            dy, dx = (cell // kw - kh // 2) * sy, (cell % kw - kw // 2) * sx
            yield i * size, (i + 1) * size if i < groups - 1 else channels, dy, dx

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        _, c, h, w = x.shape
        (kh, kw), (sy, sx) = self.ksize, self.dilate
        py, px = kh // 2 * abs(sy), kw // 2 * abs(sx)
        padded = xp.pad(x, ((0, 0), (0, 0), (py, py), (px, px)), mode='constant')
        # y[:, group, r, q] = x[:, group, r - dy, q - dx], zero outside x
        parts = [padded[:, c0:c1, py - dy:py - dy + h, px - dx:px - dx + w]
                 for c0, c1, dy, dx in self.offsets(c)]
        return xp.concatenate(parts, axis=1),

    def backward(self, indexes, grad_outputs):
        back = Shift(self.ksize, (-self.dilate[0], -self.dilate[1]))
        return back.apply(grad_outputs)


def shift(x, ksize=3, dilate=1) -> Variable:
    """Shift the channels of ``x`` spatially, a different way for each channel group.

    The channels are split into ``kh * kw`` equal groups (the last also takes
    the remainder); each group is moved by one offset ``((i - kh // 2) * dy,
    (j - kw // 2) * dx)`` of the kernel grid, with zeros moving in, and the
    group of the centre offset (no move) comes last. Used with 1x1
    convolutions in place of spatial convolutions (Wu et al., "Shift: A Zero
    FLOP, Zero Parameter Alternative to Spatial Convolutions", 2017).

    Args:
        x (Variable or array): float input ``(n, c, h, w)`` with at least
            ``kh * kw`` channels.
        ksize (int or pair of odd ints): the kernel grid ``(kh, kw)``.
        dilate (int or pair of nonzero ints): the step of the grid; a negative
            step moves the other way.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.
    """
    func = 'shift'
    ksize = pair(ksize, func, 'ksize')
    if ksize[0] < 1 or ksize[0] % 2 != 1 or ksize[1] < 1 or ksize[1] % 2 != 1:
        raise ValueError(f'{func}: ksize must be odd and positive, got {ksize!r}')
    dilate = pair(dilate, func, 'dilate')
    if 0 in dilate:
        raise ValueError(f'{func}: dilate must be nonzero, got {dilate!r}')
    return Shift(ksize, dilate).apply((x,))[0]
