"""Pooling windows and the four differentiable window operations behind pooling.

``WindowSum`` (sum each window) and ``WindowSpread`` (add a value to every
cell of its window) are each other's gradient; so are ``GatherFromWindows``
(pick one cell per window by index) and ``ScatterToWindows`` (put a value at
one cell per window). Average pooling, unpooling, max pooling and upsampling
are built from them.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import (
    col2im_nd,
    conv_outsizes,
    get_deconv_outsize,
    im2col_nd,
    nonnegative_tuple,
    positive_tuple,
)
from tracegrad.utils import type_check


class Window(NamedTuple):
    """Pooling geometry over N spatial axes: kernel, stride and padding per axis,
    and ``cover_all``."""

    ksize: tuple
    stride: tuple
    pad: tuple
    cover_all: bool

    @classmethod
    def from_args(cls, func: str, ndim: int, ksize, stride, pad, cover_all) -> Window:
        """Validate a pooling function's arguments (``stride=None`` means ``ksize``)."""
        ksize = positive_tuple(ksize, ndim, func, 'ksize')
        stride = ksize if stride is None else positive_tuple(stride, ndim, func, 'stride')
        return cls(ksize, stride, nonnegative_tuple(pad, ndim, func, 'pad'), bool(cover_all))

    @property
    def cells(self) -> int:
        """The number of cells of one window."""
        return math.prod(self.ksize)

    def out_size(self, size: tuple) -> tuple:
        """Pooled size of an image of spatial size ``size``."""
        return conv_outsizes(size, self.ksize, self.stride, self.pad, self.cover_all)

    def check_out_size(self, func: str, size: tuple) -> None:
        """Raise RuntimeError naming ``func`` if pooling an image of spatial size
        ``size`` leaves no window along some axis (as Chainer refuses it)."""
        from tracegrad.functions.connection.convolution_nd import check_positive_outsize
        check_positive_outsize(func, self.out_size(tuple(size)))

    def in_size(self, out: tuple) -> tuple:
        """Default unpooled size of an image of spatial size ``out``."""
        return tuple(get_deconv_outsize(o, k, s, p, self.cover_all)
                     for o, k, s, p in zip(out, self.ksize, self.stride, self.pad))

    def tiles(self, size: tuple) -> bool:
        """Whether the windows tile an image of ``size`` exactly (stride equal to the
        window, no padding, sizes divisible), as in the usual 2x2 pooling: then the
        windows are the image's cells regrouped (a reshape and a transpose), not a gather."""
        return self.stride == self.ksize and not any(self.pad) and \
            all(d % k == 0 for d, k in zip(size, self.ksize))

    def columns(self, x, pad_value=0):
        """``im2col`` of ``x`` with the windows flattened: ``(n, c, cells, out_1, ..., out_N)``."""
        n, c, *size = x.shape
        ndim = len(size)
        if self.tiles(size):
            out = tuple(d // k for d, k in zip(size, self.ksize))
            split = sum(((o, k) for o, k in zip(out, self.ksize)), ())
            order = (0, 1) + tuple(3 + 2 * a for a in range(ndim)) + \
                tuple(2 + 2 * a for a in range(ndim))
            col = x.reshape((n, c) + split).transpose(order)
            return col.reshape((n, c, self.cells) + out)
        col = im2col_nd(x, self.ksize, self.stride, self.pad, self.cover_all,
                        pad_value=pad_value)
        return col.reshape((n, c, self.cells) + col.shape[2 + ndim:])

    def image(self, col, size: tuple):
        """``col2im`` of ``(n, c, cells, out_1, ..., out_N)`` columns into an image of ``size``."""
        n, c, _, *out = col.shape
        ndim = len(out)
        col = col.reshape((n, c) + self.ksize + tuple(out))
        if self.tiles(size) and tuple(size) == tuple(o * k for o, k in zip(out, self.ksize)):
            order = (0, 1) + sum(((2 + ndim + a, 2 + a) for a in range(ndim)), ())
            return col.transpose(order).reshape((n, c) + tuple(size))
        return col2im_nd(col, self.stride, self.pad, tuple(size))

    def one_hot(self, indexes):
        """Boolean ``(n, c, cells, out_1, ..., out_N)``: True at each window's chosen cell."""
        xp = get_array_module(indexes)
        cells = xp.arange(self.cells).reshape((1, 1, -1) + (1,) * (indexes.ndim - 2))
        return indexes[:, :, None] == cells

    def real_cells(self, xp, size: tuple, dtype):
        """``(1, 1, out_1, ..., out_N)``: how many cells of each window lie inside an
        image of ``size`` (the rest is padding)."""
        ones = xp.ones((1, 1) + tuple(size), dtype=dtype)
        return self.columns(ones).sum(axis=2)

    def check_unpooled_size(self, x, size: tuple | None) -> None:
        """Type check: pooling an image of ``size`` gives ``x``'s spatial size."""
        if size is None:
            return
        out = self.out_size(size)
        type_check.expect(*(x.shape[2 + a] == o for a, o in enumerate(out)))


def check_float_image(in_types, names=('x',), ndim: int = 2) -> None:
    type_check._argname(in_types, names)
    x = in_types[0]
    type_check.expect(x.dtype.kind == 'f', x.ndim == ndim + 2)


class WindowSum(FunctionNode):
    """Sum over each window, divided by ``divisor`` (zero padding).

    ``divisor`` None divides each window by the number of its cells inside the
    image (padding ignored).
    """

    def __init__(self, window: Window, divisor: int | None = 1):
        self.window = window
        self.divisor = divisor

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        self.in_size = x.shape[2:]
        y = self.window.columns(x).sum(axis=2)
        if self.divisor is None:
            y = y / self.window.real_cells(xp, self.in_size, x.dtype)
        elif self.divisor != 1:
            y = y / x.dtype.type(self.divisor)
        return y,

    def backward(self, indexes, grad_outputs):
        return WindowSpread(self.window, self.in_size, self.divisor).apply(grad_outputs)


class WindowSpread(FunctionNode):
    """Add each value, divided by ``divisor``, to every cell of its window.

    ``divisor`` None divides by the number of the window's cells inside the
    output image, as :class:`WindowSum` does.
    """

    def __init__(self, window: Window, size: tuple | None, divisor: int | None = 1):
        self.window = window
        self.size = size  # None: the default unpooled size
        self.divisor = divisor

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        n, c, *out = x.shape
        size = self.size or self.window.in_size(out)
        if self.divisor is None:
            x = x / self.window.real_cells(xp, size, x.dtype)
        elif self.divisor != 1:
            x = x / x.dtype.type(self.divisor)
        col = xp.broadcast_to(x[:, :, None], (n, c, self.window.cells) + tuple(out))
        return self.window.image(col, size),

    def backward(self, indexes, grad_outputs):
        return WindowSum(self.window, self.divisor).apply(grad_outputs)


class GatherFromWindows(FunctionNode):
    """``y[n, c, i...]`` = cell ``indexes[n, c, i...]`` of window ``i...`` of ``x``."""

    def __init__(self, window: Window):
        self.window = window

    def forward(self, inputs):
        self.retain_inputs((1,))
        x, indexes = inputs
        xp = get_array_module(x)
        self.in_size = x.shape[2:]
        col = self.window.columns(x)
        return xp.where(self.window.one_hot(indexes), col, x.dtype.type(0)).sum(axis=2),

    def backward(self, indexes, grad_outputs):
        idx, = self.get_retained_inputs()
        scatter = ScatterToWindows(self.window, self.in_size)
        return scatter.apply((grad_outputs[0], idx))[0], None


class ScatterToWindows(FunctionNode):
    """Put ``x[n, c, i...]`` at cell ``indexes[n, c, i...]`` of window ``i...``; sum overlaps."""

    def __init__(self, window: Window, size: tuple | None):
        self.window = window
        self.size = size  # None: the default unpooled size

    def forward(self, inputs):
        self.retain_inputs((1,))
        x, indexes = inputs
        xp = get_array_module(x)
        col = xp.where(self.window.one_hot(indexes), x[:, :, None], x.dtype.type(0))
        size = self.size or self.window.in_size(x.shape[2:])
        return self.window.image(col, size),

    def backward(self, indexes, grad_outputs):
        idx, = self.get_retained_inputs()
        return GatherFromWindows(self.window).apply((grad_outputs[0], idx))[0], None
