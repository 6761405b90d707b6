"""``spatial_transformer_sampler``: bilinear sampling of images at given points.

Written with differentiable functions: the four neighbours of every point are
gathered by integer indices (constants for the gradient), and the bilinear
weights are functions of the (clipped) coordinates, so the gradients with
respect to the images and to the grid, and their own gradients, follow.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.variable import Variable, as_variable

__all__ = ['spatial_transformer_sampler']


def spatial_transformer_sampler(x, grid, **kwargs) -> Variable:
    """Sample images ``x`` bilinearly at the points of ``grid``.

    ``grid[:, 0]`` holds x (width) and ``grid[:, 1]`` y (height) coordinates,
    scaled so that -1 and 1 are the centres of the first and last pixels.
    The image is padded with one pixel of zeros: points further outside get
    the border's zeros and no gradient with respect to their coordinates.

    Args:
        x (Variable or array): images, shape (n, c, h, w).
        grid (Variable or array): the points, shape (n, 2, h_O, w_O), e.g.
            from :func:`spatial_transformer_grid`.

    Returns:
        ~tracegrad.Variable: shape (n, c, h_O, w_O).

    See `Spatial Transformer Networks <https://arxiv.org/abs/1506.02025>`_.

    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    >>> grid = np.array([[[[0.]], [[-1.]]]], np.float32)  # x = 0 (the middle), y = -1 (top)
    >>> F.spatial_transformer_sampler(x, grid).array
    array([[[[0.5]]]], dtype=float32)
    """
    if kwargs:
        if 'use_cudnn' in kwargs:
            raise ValueError('spatial_transformer_sampler: the use_cudnn argument is not '
                             "supported anymore; use tracegrad.using_config('use_cudnn', ...)")
        raise TypeError(f'spatial_transformer_sampler() got unexpected keyword argument(s) '
                        f'{", ".join(sorted(kwargs))}')
    x, grid = as_variable(x), as_variable(grid)
    if x.ndim != 4 or grid.ndim != 4 or grid.shape[1] != 2 or grid.shape[0] != x.shape[0]:
        raise ValueError('spatial_transformer_sampler: expected x of shape (n, c, h, w) and '
                         f'grid of shape (n, 2, h_O, w_O), got {x.shape} and {grid.shape}')
    if x.dtype.kind != 'f' or grid.dtype != x.dtype:
        raise TypeError('spatial_transformer_sampler: x and grid must have the same float '
                        f'dtype, got {x.dtype} and {grid.dtype}')
    w, h = x.shape[3], x.shape[2]
    # -1 and 1 are the centres of the first and last pixels
    return sample_bilinear(x, (grid[:, 0] + 1) * ((w - 1) / 2), (grid[:, 1] + 1) * ((h - 1) / 2))


def sample_bilinear(x: Variable, u, v) -> Variable:
    """Sample images ``x`` ``(n, c, h, w)`` bilinearly at pixel coordinates ``(u, v)``.

    ``u`` (along the width) and ``v`` (along the height) are Variables of one
    shape ``(n, h_O, w_O)``, with 0 the centre of the first pixel; the result
    is ``(n, c, h_O, w_O)``. The image is padded with one pixel of zeros:
    points further outside get the border's zeros and no gradient with
    respect to their coordinates.
    """
    from tracegrad.functions.array.get_item import get_item
    from tracegrad.functions.array.pad import pad
    from tracegrad.functions.array.reshape import reshape
    from tracegrad.functions.array.transpose import transpose
    from tracegrad.functions.math.clip import clip

    xp = get_array_module(x.array)
    n, c, h, w = x.shape
    out_h, out_w = u.shape[1:]
    dtype = x.dtype
    # source coordinates in the zero-padded image, limited to its extent
    u = clip(u + 1, 0., w + 1.)
    v = clip(v + 1, 0., h + 1.)
    u0 = xp.clip(xp.floor(u.array), 0, w).astype(dtype)
    v0 = xp.clip(xp.floor(v.array), 0, h).astype(dtype)
    # weights of the left/right and upper/lower neighbours (Variables kept on the left
    # of the arithmetic, so that traced arrays never meet a Variable on their left)
    wu1, wu0 = (u - (u0 + 1)) * -1., u - u0
    wv1, wv0 = (v - (v0 + 1)) * -1., v - v0
    padded = pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), 'constant')
    pixels = reshape(transpose(padded, (0, 2, 3, 1)), (-1, c))   # one row per padded pixel
    first = (xp.arange(n) * ((h + 2) * (w + 2))).reshape(n, 1, 1)
    u0i, v0i = u0.astype('int32'), v0.astype('int32')

    def corner(dv: int, du: int):
        rows = (first + (v0i + dv) * (w + 2) + (u0i + du)).reshape(-1)
        picked = reshape(get_item(pixels, rows), (n, out_h, out_w, c))
        return transpose(picked, (0, 3, 1, 2))

    def weight(a, b):
        return reshape(a * b, (n, 1, out_h, out_w))

    return (corner(0, 0) * weight(wu1, wv1) + corner(0, 1) * weight(wu0, wv1)
            + corner(1, 0) * weight(wu1, wv0) + corner(1, 1) * weight(wu0, wv0))
