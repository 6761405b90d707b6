"""Pooling windows and the four differentiable window operations behind pooling.

``WindowSum`` (sum each window) and ``WindowSpread`` (add a value to every
cell of its window) are each other's gradient; so are ``GatherFromWindows``
(pick one cell per window by index) and ``ScatterToWindows`` (put a value at
one cell per window). Average pooling, unpooling, max pooling and upsampling
are built from them.
"""
from __future__ import annotations

from typing import NamedTuple

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.connection.im2col import (
    col2im,
    get_conv_outsize,
    get_deconv_outsize,
    im2col,
    nonnegative_pair,
    positive_pair,
)
from tracegrad.utils import type_check


class Window(NamedTuple):
    """Pooling geometry: kernel, stride and padding per axis, and ``cover_all``."""

    kh: int
    kw: int
    sy: int
    sx: int
    ph: int
    pw: int
    cover_all: bool

    @classmethod
    def from_args(cls, func: str, ksize, stride, pad, cover_all) -> Window:
        """Validate a pooling function's arguments (``stride=None`` means ``ksize``)."""
        kh, kw = positive_pair(ksize, func, 'ksize')
        sy, sx = (kh, kw) if stride is None else positive_pair(stride, func, 'stride')
        ph, pw = nonnegative_pair(pad, func, 'pad')
        return cls(kh, kw, sy, sx, ph, pw, bool(cover_all))

    def out_size(self, h: int, w: int) -> tuple:
        """Pooled size of an ``h x w`` image."""
        return (get_conv_outsize(h, self.kh, self.sy, self.ph, self.cover_all),
                get_conv_outsize(w, self.kw, self.sx, self.pw, self.cover_all))

    def in_size(self, out_h: int, out_w: int) -> tuple:
        """Default unpooled size of an ``out_h x out_w`` image."""
        return (get_deconv_outsize(out_h, self.kh, self.sy, self.ph, self.cover_all),
                get_deconv_outsize(out_w, self.kw, self.sx, self.pw, self.cover_all))

    def tiles(self, h: int, w: int) -> bool:
        """Whether the windows tile an ``h x w`` image exactly (stride equal to the window,
        no padding, sizes divisible), as in the usual 2x2 pooling: then the windows are
        the image's cells regrouped (a reshape and a transpose), not a gather."""
        return self.sy == self.kh and self.sx == self.kw and self.ph == self.pw == 0 and \
            h % self.kh == 0 and w % self.kw == 0

    def columns(self, x, pad_value=0):
        """``im2col`` of ``x`` with the windows flattened: ``(n, c, kh * kw, out_h, out_w)``."""
        n, c, h, w = x.shape
        if self.tiles(h, w):
            out_h, out_w = h // self.kh, w // self.kw
            col = x.reshape(n, c, out_h, self.kh, out_w, self.kw).transpose(0, 1, 3, 5, 2, 4)
            return col.reshape(n, c, self.kh * self.kw, out_h, out_w)
        col = im2col(x, self.kh, self.kw, self.sy, self.sx, self.ph, self.pw,
                     self.cover_all, pad_value=pad_value)
        n, c, _, _, out_h, out_w = col.shape
        return col.reshape(n, c, self.kh * self.kw, out_h, out_w)

    def image(self, col, size: tuple):
        """``col2im`` of ``(n, c, kh * kw, out_h, out_w)`` columns into an image of ``size``."""
        n, c, _, out_h, out_w = col.shape
        col = col.reshape(n, c, self.kh, self.kw, out_h, out_w)
        if self.tiles(*size) and size == (out_h * self.kh, out_w * self.kw):
            return col.transpose(0, 1, 4, 2, 5, 3).reshape(n, c, size[0], size[1])
        return col2im(col, self.sy, self.sx, self.ph, self.pw, size[0], size[1])

    def one_hot(self, indexes):
        """Boolean ``(n, c, kh * kw, out_h, out_w)``: True at each window's chosen cell."""
        xp = get_array_module(indexes)
        cells = xp.arange(self.kh * self.kw).reshape(1, 1, -1, 1, 1)
        return indexes[:, :, None] == cells

    def check_unpooled_size(self, x, size: tuple | None) -> None:
        """Type check: pooling an image of ``size`` gives ``x``'s spatial size."""
        if size is None:
            return
        out_h, out_w = self.out_size(*size)
        type_check.expect(x.shape[2] == out_h, x.shape[3] == out_w)


def check_float_image(in_types, names=('x',)) -> None:
    type_check._argname(in_types, names)
    x = in_types[0]
    type_check.expect(x.dtype.kind == 'f', x.ndim == 4)


class WindowSum(FunctionNode):
    """Sum over each window, divided by ``divisor`` (zero padding)."""

    def __init__(self, window: Window, divisor: int = 1):
        self.window = window
        self.divisor = divisor

    def forward(self, inputs):
        x, = inputs
        self.in_size = x.shape[2:]
        y = self.window.columns(x).sum(axis=2)
        if self.divisor != 1:
            y = y / x.dtype.type(self.divisor)
        return y,

    def backward(self, indexes, grad_outputs):
        return WindowSpread(self.window, self.in_size, self.divisor).apply(grad_outputs)


class WindowSpread(FunctionNode):
    """Add each value, divided by ``divisor``, to every cell of its window."""

    def __init__(self, window: Window, size: tuple | None, divisor: int = 1):
        self.window = window
        self.size = size  # None: the default unpooled size
        self.divisor = divisor

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        n, c, out_h, out_w = x.shape
        if self.divisor != 1:
            x = x / x.dtype.type(self.divisor)
        col = xp.broadcast_to(x[:, :, None], (n, c, self.window.kh * self.window.kw, out_h, out_w))
        size = self.size or self.window.in_size(out_h, out_w)
        return self.window.image(col, size),

    def backward(self, indexes, grad_outputs):
        return WindowSum(self.window, self.divisor).apply(grad_outputs)


class GatherFromWindows(FunctionNode):
    """``y[n, c, i, j]`` = cell ``indexes[n, c, i, j]`` of window ``(i, j)`` of ``x``."""

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
    """Put ``x[n, c, i, j]`` at cell ``indexes[n, c, i, j]`` of window ``(i, j)``; sum overlaps."""

    def __init__(self, window: Window, size: tuple | None):
        self.window = window
        self.size = size  # None: the default unpooled size

    def forward(self, inputs):
        self.retain_inputs((1,))
        x, indexes = inputs
        xp = get_array_module(x)
        col = xp.where(self.window.one_hot(indexes), x[:, :, None], x.dtype.type(0))
        size = self.size or self.window.in_size(*x.shape[2:])
        return self.window.image(col, size),

    def backward(self, indexes, grad_outputs):
        idx, = self.get_retained_inputs()
        return GatherFromWindows(self.window).apply((grad_outputs[0], idx))[0], None
