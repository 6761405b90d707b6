"""Sliding windows of 2-D images: output sizes, ``im2col`` and ``col2im``.

Convolution, deconvolution and pooling gather the ``kh x kw`` windows of an
``(n, c, h, w)`` image into a column array ``(n, c, kh, kw, out_h, out_w)``
(``im2col``) and scatter such columns back, summing overlaps (``col2im``).
Both are written with padding, strided slicing, stacking and addition only,
so the same code runs on NumPy, CuPy and the tracer's namespace.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module


def pair(value, func: str, arg: str) -> tuple:
    """``value`` as a pair of ints (an int ``v`` means ``(v, v)``).

    Raises TypeError/ValueError naming ``func`` and ``arg`` for anything else.
    """
    if hasattr(value, '__len__'):
        if len(value) != 2:
            raise ValueError(f'{func}: {arg} must be an int or a pair of ints, got {value!r}')
        pair_ = tuple(value)
    else:
        pair_ = (value, value)
    for v in pair_:
        if isinstance(v, bool) or not hasattr(v, '__index__'):
            raise TypeError(f'{func}: {arg} must be an int or a pair of ints, got {value!r}')
    return int(pair_[0]), int(pair_[1])


def positive_pair(value, func: str, arg: str) -> tuple:
    """:func:`pair` that also requires both values to be at least 1."""
    p = pair(value, func, arg)
    if p[0] < 1 or p[1] < 1:
        raise ValueError(f'{func}: {arg} must be positive, got {value!r}')
    return p


def nonnegative_pair(value, func: str, arg: str) -> tuple:
    """:func:`pair` that also requires both values to be at least 0."""
    p = pair(value, func, arg)
    if p[0] < 0 or p[1] < 0:
        raise ValueError(f'{func}: {arg} must be non-negative, got {value!r}')
    return p


def get_conv_outsize(size: int, k: int, s: int, p: int, cover_all: bool = False,
                     d: int = 1) -> int:
    """Output length of a convolution along one axis.

    ``size`` input length, ``k`` kernel, ``s`` stride, ``p`` padding on each
    side, ``d`` dilation. With ``cover_all`` the last window may hang over the
    padded end (up to ``s - 1`` extra cells), so every input cell is covered.
    """
    span = (k - 1) * d + 1
    extra = s - 1 if cover_all else 0
    return (size + 2 * p - span + extra) // s + 1


def get_deconv_outsize(size: int, k: int, s: int, p: int, cover_all: bool = False,
                       d: int = 1) -> int:
    """Output length of a deconvolution (the inverse of :func:`get_conv_outsize`)."""
    span = (k - 1) * d + 1
    length = s * (size - 1) + span - 2 * p
    if cover_all:
        length -= s - 1
    return length


def im2col(x, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
           cover_all: bool = False, dy: int = 1, dx: int = 1, pad_value=0):
    """Gather the sliding windows of ``x`` ``(n, c, h, w)``.

    Returns an array ``(n, c, kh, kw, out_h, out_w)`` whose ``[:, :, i, j]`` is
    the image cell at offset ``(i * dy, j * dx)`` of each window. Cells outside
    the image read ``pad_value``.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out_h = get_conv_outsize(h, kh, sy, ph, cover_all, dy)
    out_w = get_conv_outsize(w, kw, sx, pw, cover_all, dx)
    # Rows/columns the last window reaches; with cover_all it can pass the padding.
    need_h = (kh - 1) * dy + sy * (out_h - 1) + 1
    need_w = (kw - 1) * dx + sx * (out_w - 1) + 1
    bottom = max(ph, need_h - h - ph)
    right = max(pw, need_w - w - pw)
    if ph or pw or bottom or right:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, bottom), (pw, right)),
                   mode='constant', constant_values=pad_value)
    span_h = sy * (out_h - 1) + 1
    span_w = sx * (out_w - 1) + 1
    windows = [x[:, :, i * dy:i * dy + span_h:sy, j * dx:j * dx + span_w:sx]
               for i in range(kh) for j in range(kw)]
    col = xp.stack(windows, axis=2)
    return col.reshape(n, c, kh, kw, out_h, out_w)


def _interleave_zeros(xp, a, s: int, axis: int):
    """Put ``s - 1`` zeros between neighbours of ``a`` along ``axis`` (-1 or -2)."""
    if s == 1:
        return a
    length = a.shape[axis]
    zeros = xp.zeros_like(a)
    a = xp.stack([a] + [zeros] * (s - 1), axis=axis)  # (..., length, s, ...) at axis
    shape = list(a.shape)
    if axis == -1:
        a = a.reshape(tuple(shape[:-2]) + (length * s,))
        return a[..., :s * (length - 1) + 1]
    a = a.reshape(tuple(shape[:-3]) + (length * s, shape[-1]))
    return a[..., :s * (length - 1) + 1, :]


def col2im(col, sy: int, sx: int, ph: int, pw: int, h: int, w: int,
           dy: int = 1, dx: int = 1):
    """Scatter windows back into an ``(n, c, h, w)`` image, summing overlaps.

    The adjoint of :func:`im2col` with the same geometry: ``col`` is
    ``(n, c, kh, kw, out_h, out_w)``; cells that fall into the padding are
    dropped.
    """
    xp = get_array_module(col)
    n, c, kh, kw = col.shape[:4]
    # Each window cell (i, j) is an image sampled with stride (sy, sx): spread it
    # out with zeros, then shift it by its offset and sum.
    spread = _interleave_zeros(xp, _interleave_zeros(xp, col, sy, -2), sx, -1)
    span_h = spread.shape[-2]
    span_w = spread.shape[-1]
    img = None
    for i in range(kh):
        top = i * dy - ph  # image row of the piece's first row
        r0, r1 = max(0, -top), min(span_h, h - top)
        if r0 >= r1:
            continue
        for j in range(kw):
            left = j * dx - pw
            c0, c1 = max(0, -left), min(span_w, w - left)
            if c0 >= c1:
                continue
            piece = spread[:, :, i, j, r0:r1, c0:c1]
            piece = xp.pad(piece, ((0, 0), (0, 0), (top + r0, h - top - r1),
                                   (left + c0, w - left - c1)), mode='constant')
            img = piece if img is None else img + piece
    if img is None:  # every window cell fell into the padding
        img = xp.zeros((n, c, h, w), dtype=col.dtype)
    return img
