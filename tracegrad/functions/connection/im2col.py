"""Sliding windows of N-dimensional images: output sizes, ``im2col`` and ``col2im``.

Convolution, deconvolution and pooling gather the ``k_1 x ... x k_N`` windows
of an ``(n, c, d_1, ..., d_N)`` image into a column array
``(n, c, k_1, ..., k_N, out_1, ..., out_N)`` (:func:`im2col_nd`) and scatter
such columns back, summing overlaps (:func:`col2im_nd`). Both are written with
padding, strided slicing, stacking and addition only, so the same code runs on
NumPy, CuPy and the tracer's namespace; the 2-D functions are their ``N = 2``
case.
"""
from __future__ import annotations

import itertools

from tracegrad.backend import get_array_module


def as_tuple(value, ndim: int, func: str, arg: str) -> tuple:
    """``value`` as a tuple of ``ndim`` ints (an int ``v`` means ``(v,) * ndim``).

    Raises TypeError/ValueError naming ``func`` and ``arg`` for anything else.
    """
    what = 'a pair of ints' if ndim == 2 else f'a tuple of {ndim} ints'
    if hasattr(value, '__len__'):
        if len(value) != ndim:
            raise ValueError(f'{func}: {arg} must be an int or {what}, got {value!r}')
        values = tuple(value)
    else:
        values = (value,) * ndim
    for v in values:
        if isinstance(v, bool) or not hasattr(v, '__index__'):
            raise TypeError(f'{func}: {arg} must be an int or {what}, got {value!r}')
    return tuple(int(v) for v in values)


def positive_tuple(value, ndim: int, func: str, arg: str) -> tuple:
    """:func:`as_tuple` that also requires every value to be at least 1."""
    t = as_tuple(value, ndim, func, arg)
    if min(t) < 1:
        raise ValueError(f'{func}: {arg} must be positive, got {value!r}')
    return t


def nonnegative_tuple(value, ndim: int, func: str, arg: str) -> tuple:
    """:func:`as_tuple` that also requires every value to be at least 0."""
    t = as_tuple(value, ndim, func, arg)
    if min(t) < 0:
        raise ValueError(f'{func}: {arg} must be non-negative, got {value!r}')
    return t


def pair(value, func: str, arg: str) -> tuple:
    """:func:`as_tuple` with ``ndim=2``."""
    return as_tuple(value, 2, func, arg)


def positive_pair(value, func: str, arg: str) -> tuple:
    """:func:`positive_tuple` with ``ndim=2``."""
    return positive_tuple(value, 2, func, arg)


def nonnegative_pair(value, func: str, arg: str) -> tuple:
    """:func:`nonnegative_tuple` with ``ndim=2``."""
    return nonnegative_tuple(value, 2, func, arg)


def spatial_ndim(x, func: str, ndim: int | None = None) -> int:
    """The number of spatial axes of ``x`` (``ndim`` when given, which ``x`` must have)."""
    actual = len(x.shape) - 2
    if ndim is not None and actual != ndim:
        raise ValueError(f'{func}: x must have {ndim} spatial axes after (n, c), '
                         f'got shape {tuple(x.shape)}')
    if actual < 1:
        raise ValueError(f'{func}: x must have shape (n, c, d_1, ..., d_N) with N >= 1, '
                         f'got shape {tuple(x.shape)}')
    return actual


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


def conv_outsizes(size: tuple, ksize: tuple, stride: tuple, pad: tuple,
                  cover_all: bool = False, dilate: tuple | None = None) -> tuple:
    """:func:`get_conv_outsize` along every spatial axis."""
    dilate = dilate or (1,) * len(size)
    return tuple(get_conv_outsize(*a, cover_all, d)
                 for *a, d in zip(size, ksize, stride, pad, dilate))


def im2col_nd(x, ksize: tuple, stride: tuple, pad: tuple, cover_all: bool = False,
              dilate: tuple | None = None, pad_value=0):
    """Gather the sliding windows of ``x`` ``(n, c, d_1, ..., d_N)``.

    Returns an array ``(n, c, k_1, ..., k_N, out_1, ..., out_N)`` whose
    ``[:, :, i_1, ..., i_N]`` is the image cell at offset ``i_a * dilate_a``
    along each axis ``a`` of each window. Cells outside the image read
    ``pad_value``.
    """
    xp = get_array_module(x)
    n, c, *size = x.shape
    dilate = dilate or (1,) * len(size)
    out = conv_outsizes(size, ksize, stride, pad, cover_all, dilate)
    # Cells the last window reaches; with cover_all it can pass the padding.
    widths = [(0, 0), (0, 0)]
    for d_in, k, s, p, d, o in zip(size, ksize, stride, pad, dilate, out):
        need = (k - 1) * d + s * (o - 1) + 1
        widths.append((p, max(p, need - d_in - p)))
    if any(w != (0, 0) for w in widths):
        x = xp.pad(x, tuple(widths), mode='constant', constant_values=pad_value)
    spans = [s * (o - 1) + 1 for s, o in zip(stride, out)]
    windows = []
    for offset in itertools.product(*(range(k) for k in ksize)):
        index = (slice(None), slice(None)) + tuple(
            slice(i * d, i * d + span, s) for i, d, span, s in zip(offset, dilate, spans, stride))
        windows.append(x[index])
    col = xp.stack(windows, axis=2)
    return col.reshape((n, c) + tuple(ksize) + out)


def _interleave_zeros(xp, a, s: int, axis: int):
    """Put ``s - 1`` zeros between neighbours of ``a`` along ``axis`` (non-negative)."""
    if s == 1:
        return a
    length = a.shape[axis]
    a = xp.stack([a] + [xp.zeros_like(a)] * (s - 1), axis=axis + 1)  # (..., length, s, ...)
    shape = a.shape[:axis] + (length * s,) + a.shape[axis + 2:]
    index = (slice(None),) * axis + (slice(0, s * (length - 1) + 1),)
    return a.reshape(shape)[index]


def col2im_nd(col, stride: tuple, pad: tuple, size: tuple, dilate: tuple | None = None):
    """Scatter windows back into an ``(n, c, *size)`` image, summing overlaps.

    The adjoint of :func:`im2col_nd` with the same geometry: ``col`` is
    ``(n, c, k_1, ..., k_N, out_1, ..., out_N)``; cells that fall into the
    padding are dropped.
    """
    xp = get_array_module(col)
    ndim = len(size)
    n, c = col.shape[:2]
    ksize = col.shape[2:2 + ndim]
    dilate = dilate or (1,) * ndim
    # Each window cell is an image sampled with the stride: spread it out with
    # zeros, then shift it by its offset (cropping what falls into the padding) and sum.
    spread = col
    for a, s in enumerate(stride):
        spread = _interleave_zeros(xp, spread, s, 2 + ndim + a)
    spans = spread.shape[2 + ndim:]
    img = None
    for offset in itertools.product(*(range(k) for k in ksize)):
        crop, widths = [], [(0, 0), (0, 0)]
        for i, d, p, span, length in zip(offset, dilate, pad, spans, size):
            start = i * d - p  # image cell of the piece's first cell
            lo, hi = max(0, -start), min(span, length - start)
            crop.append(slice(lo, hi))
            widths.append((start + lo, length - start - hi))
        if any(sl.start >= sl.stop for sl in crop):
            continue
        piece = spread[(slice(None), slice(None)) + offset + tuple(crop)]
        piece = xp.pad(piece, tuple(widths), mode='constant')
        img = piece if img is None else img + piece
    if img is None:  # every window cell fell into the padding
        img = xp.zeros((n, c) + tuple(size), dtype=col.dtype)
    return img
