"""Deformable convolution (``deformable_convolution_2d_sampler``) with given offsets.

Each tap of each filter window reads the input at its regular grid position
moved by a learnt (fractional) offset. The taps are sampled bilinearly with
:func:`~tracegrad.functions.array.spatial_transformer_sampler.sample_bilinear`
(differentiable gathers, so ``x`` and the offsets get gradients), which gives
the columns of an im2col; one :func:`linear` applies the filters to them.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.functions.connection.im2col import nonnegative_pair, positive_pair
from tracegrad.variable import Variable, as_variable

__all__ = ['deformable_convolution_2d_sampler']

_NAME = 'deformable_convolution_2d_sampler'


def deformable_convolution_2d_sampler(x, offset, W, b=None, stride=1, pad=0) -> Variable:
    """Two-dimensional deformable convolution with the sampling offsets given.

    Like :func:`convolution_2d` (with zero padding ``pad``), except that the
    tap ``(i, j)`` of the window of output ``(p, q)`` reads the input at the
    (padded-image) position ``(p * s_Y + i + dy, q * s_X + j + dx)``, where
    ``dx = offset[:, i * k_W + j, p, q]`` and
    ``dy = offset[:, k_H * k_W + i * k_W + j, p, q]``. Fractional positions
    are interpolated bilinearly; positions outside the padded image read
    zeros. With zero offsets this is :func:`convolution_2d`.

    The output size is ``h_O = (h + 2 p_H - k_H) // s_Y + 1`` and
    ``w_O = (w + 2 p_W - k_W) // s_X + 1``.

    See `Deformable Convolutional Networks <https://arxiv.org/abs/1703.06211>`_.

    Args:
        x (Variable or array): input of shape ``(n, c_I, h, w)``.
        offset (Variable or array): offsets of shape
            ``(n, 2 * k_H * k_W, h_O, w_O)``: the horizontal ones first, then
            the vertical ones, each in the filter's row-major tap order.
        W (Variable or array): filters of shape ``(c_O, c_I, k_H, k_W)``.
        b (Variable or array): optional bias of shape ``(c_O,)``.
        stride (int or pair of ints): stride of the filter applications.
        pad (int or pair of ints): zero padding added to each side of ``x``.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_O, h_O, w_O)``.

    .. seealso:: :class:`~tracegrad.links.DeformableConvolution2D`

    >>> x = np.random.uniform(0, 1, (2, 3, 4, 7)).astype(np.float32)
    >>> offset = np.random.uniform(
    ...     0, 1, (2, 2 * 3 * 3, 2, 5)).astype(np.float32)
    >>> W = np.random.uniform(0, 1, (4, 3, 3, 3)).astype(np.float32)
    >>> b = np.random.uniform(0, 1, (4,)).astype(np.float32)
    >>> y = F.deformable_convolution_2d_sampler(x, offset, W, b)
    >>> y.shape
    (2, 4, 2, 5)
    """
    from tracegrad.functions.array.reshape import reshape
    from tracegrad.functions.array.spatial_transformer_sampler import sample_bilinear
    from tracegrad.functions.array.transpose import transpose
    from tracegrad.functions.connection.linear import linear

    sy, sx = positive_pair(stride, _NAME, 'stride')
    ph, pw = nonnegative_pair(pad, _NAME, 'pad')
    x, offset, W = as_variable(x), as_variable(offset), as_variable(W)
    b = None if b is None else as_variable(b)
    out_h, out_w = _check(x, offset, W, b, sy, sx, ph, pw)
    n, c = x.shape[:2]
    c_out, _, kh, kw = W.shape
    taps = kh * kw
    # where each tap reads (in x's coordinates) before the offsets move it
    xp = get_array_module(offset.array)
    dtype = offset.dtype
    base_v = (xp.arange(kh, dtype=dtype).reshape(kh, 1, 1, 1)
              + (xp.arange(out_h, dtype=dtype) * sy - ph).reshape(1, 1, out_h, 1))
    base_u = (xp.arange(kw, dtype=dtype).reshape(1, kw, 1, 1)
              + (xp.arange(out_w, dtype=dtype) * sx - pw).reshape(1, 1, 1, out_w))
    base_v = xp.broadcast_to(base_v, (kh, kw, out_h, out_w)).reshape(taps, out_h, out_w)
    base_u = xp.broadcast_to(base_u, (kh, kw, out_h, out_w)).reshape(taps, out_h, out_w)
    # Reading x itself rather than a padded copy gives the same values and gradients:
    # the sampler reads zeros outside x, as a padded image holds there.
    u = reshape(offset[:, :taps] + base_u, (n, taps, out_h * out_w))
    v = reshape(offset[:, taps:] + base_v, (n, taps, out_h * out_w))
    columns = sample_bilinear(x, u, v)                       # (n, c, taps, out_h * out_w)
    columns = reshape(transpose(columns, (0, 3, 1, 2)), (n * out_h * out_w, c * taps))
    y = linear(columns, reshape(W, (c_out, c * taps)), b)  # (n * out_h * out_w, c_out)
    return transpose(reshape(y, (n, out_h, out_w, c_out)), (0, 3, 1, 2))


def _check(x, offset, W, b, sy, sx, ph, pw) -> tuple:
    """Validate the operands; return the output size ``(h_O, w_O)``."""
    for name, v in (('x', x), ('offset', offset), ('W', W)):
        if v.ndim != 4:
            raise ValueError(f'{_NAME}: {name} must be 4-D, got shape {v.shape}')
    if x.dtype.kind != 'f' or any(v is not None and v.dtype != x.dtype for v in (offset, W, b)):
        raise TypeError(f'{_NAME}: x, offset, W and b must have one float dtype, got '
                        f'{x.dtype}, {offset.dtype}, {W.dtype} and '
                        f'{None if b is None else b.dtype}')
    n, c, h, w = x.shape
    c_out, c_in, kh, kw = W.shape
    if c_in != c:
        raise ValueError(f'{_NAME}: W must have shape (c_O, c_I, k_H, k_W) with c_I = {c} '
                         f'(the channels of x), got {W.shape}')
    if b is not None and b.shape != (c_out,):
        raise ValueError(f'{_NAME}: b must have shape ({c_out},), got {b.shape}')
    out_h, out_w = (h + 2 * ph - kh) // sy + 1, (w + 2 * pw - kw) // sx + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f'{_NAME}: the {kh}x{kw} filters do not fit in x of shape {x.shape} '
                         f'padded by {(ph, pw)}')
    expected = (n, 2 * kh * kw, out_h, out_w)
    if offset.shape != expected:
        raise ValueError(f'{_NAME}: offset must have shape (n, 2 * k_H * k_W, h_O, w_O) = '
                         f'{expected}, got {offset.shape}')
    return out_h, out_w
