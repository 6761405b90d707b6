"""Spatial pyramid pooling (``spatial_pyramid_pooling_2d``): a fixed-length vector from
feature maps of any size."""
from __future__ import annotations

from tracegrad.variable import Variable

__all__ = ['spatial_pyramid_pooling_2d']


def spatial_pyramid_pooling_2d(x, pyramid_height, pooling=None) -> Variable:
    """Max pooling at several grid resolutions, flattened and concatenated.

    Level ``i`` (``0 <= i < pyramid_height``) pools ``x`` ``(n, c, h, w)`` into
    about ``2^i x 2^i`` bins: the window is ``ceil(h / 2^i) x ceil(w / 2^i)``
    (also the stride), with padding ``(2^i * k - size) // 2`` on each side and
    ``cover_all``. Each level's result is reshaped to ``(n, c * bins, 1, 1)``
    and the levels are concatenated along the channels (He et al., 2014).

    Args:
        x (Variable or array): float input of shape ``(n, c, h, w)``.
        pyramid_height (int): number of pyramid levels.
        pooling (str): the pooling; only ``'max'`` is supported (and required).

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c * sum_i 4^i, 1, 1)`` when
        every level gives ``2^i x 2^i`` bins.
    """
    from tracegrad import functions as F

    func = 'spatial_pyramid_pooling_2d'
    if pooling != 'max':
        raise ValueError(f"{func}: pooling must be 'max' (the only one supported), "
                         f'got {pooling!r}')
    if len(x.shape) != 4:
        raise ValueError(f'{func}: x must have 4 axes (n, c, h, w), got shape {tuple(x.shape)}')
    if isinstance(pyramid_height, bool) or not hasattr(pyramid_height, '__index__') \
            or pyramid_height < 1:
        raise ValueError(f'{func}: pyramid_height must be a positive int, '
                         f'got {pyramid_height!r}')
    _, _, h, w = x.shape
    levels = []
    for level in range(int(pyramid_height)):
        bins = 2 ** level
        ksize = (-(-h // bins), -(-w // bins))
        pad = ((ksize[0] * bins - h) // 2, (ksize[1] * bins - w) // 2)
        y = F.max_pooling_2d(x, ksize, stride=None, pad=pad, cover_all=True)
        n, c, out_h, out_w = y.shape
        levels.append(F.reshape(y, (n, c * out_h * out_w, 1, 1)))
    return F.concat(levels, axis=1)
