"""``spatial_transformer_grid``: the sampling points of an affine warp (Jaderberg et al. 2015)."""
from __future__ import annotations

import operator

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['spatial_transformer_grid']


def _target_coords(out_h: int, out_w: int, dtype):
    """(3, out_h * out_w): the x, y (each in [-1, 1]) and 1 of every output pixel."""
    ys, xs = numpy.meshgrid(numpy.linspace(-1, 1, out_h), numpy.linspace(-1, 1, out_w),
                            indexing='ij')
    return numpy.stack([xs.ravel(), ys.ravel(), numpy.ones(out_h * out_w)]).astype(dtype)


class SpatialTransformerGrid(FunctionNode):
    """``theta @ coords`` for the constant target coordinates ``coords``."""

    def __init__(self, output_shape: tuple):
        self.output_shape = output_shape

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('theta',))
        theta = in_types[0]
        type_check.expect(theta.dtype.kind == 'f', theta.ndim == 3, theta.shape[1] == 2,
                          theta.shape[2] == 3)

    def forward(self, inputs):
        theta, = inputs
        xp = get_array_module(theta)
        coords = xp.asarray(_target_coords(*self.output_shape, theta.dtype))
        return xp.matmul(theta, coords).reshape((theta.shape[0], 2) + self.output_shape),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.math.matmul import matmul

        ggrid, = grad_outputs
        coords = _target_coords(*self.output_shape, ggrid.dtype)
        if not isinstance(ggrid.array, numpy.ndarray):
            coords = get_array_module(ggrid.array).asarray(coords)
        return matmul(reshape(ggrid, (ggrid.shape[0], 2, -1)), coords, transb=True),


def spatial_transformer_grid(theta, output_shape, **kwargs) -> Variable:
    """The points where a spatial transformer samples its input.

    For each output pixel with target coordinates ``(x_t, y_t)`` (both scaled
    to [-1, 1], (-1, -1) the upper-left corner), the source coordinates are
    ``theta @ (x_t, y_t, 1)``, a 2 x 3 affine map per sample.

    Args:
        theta (Variable or array): the affine maps, shape (n, 2, 3).
        output_shape (tuple of int): ``(h_O, w_O)``.

    Returns:
        ~tracegrad.Variable: shape (n, 2, h_O, w_O); channel 0 holds the x
        (width) coordinates and channel 1 the y (height) ones, in [-1, 1]
        for points inside the source image.

    See `Spatial Transformer Networks <https://arxiv.org/abs/1506.02025>`_.

    >>> theta = np.array([[[1., 0., 0.], [0., 1., 0.]]], np.float32)  # the identity
    >>> F.spatial_transformer_grid(theta, (2, 3)).array
    array([[[[-1.,  0.,  1.],
             [-1.,  0.,  1.]],
    <BLANKLINE>
            [[-1., -1., -1.],
             [ 1.,  1.,  1.]]]], dtype=float32)
    """
    if kwargs:
        if 'use_cudnn' in kwargs:
            raise ValueError('spatial_transformer_grid: the use_cudnn argument is not '
                             "supported anymore; use tracegrad.using_config('use_cudnn', ...)")
        raise TypeError(f'spatial_transformer_grid() got unexpected keyword argument(s) '
                        f'{", ".join(sorted(kwargs))}')
    try:
        out_h, out_w = (operator.index(s) for s in output_shape)
    except (TypeError, ValueError):
        raise TypeError('spatial_transformer_grid: output_shape must be a tuple of two ints, '
                        f'got {output_shape!r}') from None
    if out_h < 1 or out_w < 1:
        raise ValueError(f'spatial_transformer_grid: output_shape must be positive, '
                         f'got {output_shape!r}')
    return SpatialTransformerGrid((out_h, out_w)).apply((theta,))[0]
