"""Region-of-interest pooling: ``roi_pooling_2d``, ``roi_max_pooling_2d``, ``roi_average_pooling_2d``.

Each ROI is split into ``outh x outw`` bins of whole pixels (Fast R-CNN). The
bins are computed with array operations from the ROI coordinates, as 0/1 masks
over the rows and the columns of the image, so no Python loop runs over ROIs
or bins and the functions trace. A bin is a rectangle, so its maximum is taken
over the columns of each row first and then over the rows (two masked maxima,
each passing its gradient to the first maximal element as Chainer's kernels do),
and its mean is ``mask_h @ x @ mask_w.T`` divided by its area. Everything after
the masks is written with differentiable functions; the ROIs get no gradient.

Coordinates are rounded half up (``floor(v + 0.5)``, as Chainer's CUDA kernels
do; its CPU code rounds halves to even, which differs only at exact halves).
"""
from __future__ import annotations

import operator

import numpy

from tracegrad.backend import get_array_module
from tracegrad.variable import Variable, as_variable

__all__ = ['roi_average_pooling_2d', 'roi_max_pooling_2d', 'roi_pooling_2d']


def _outsize(caller: str, outsize) -> tuple:
    try:
        out = (operator.index(outsize),) * 2
    except TypeError:
        try:
            out = tuple(operator.index(o) for o in outsize)
        except TypeError:
            raise TypeError(f'{caller}: outsize must be an int or a pair of ints, '
                            f'got {outsize!r}') from None
    if len(out) != 2 or min(out) < 1:
        raise ValueError(f'{caller}: outsize must be positive, got {outsize!r}')
    return out


def _bin_masks(xp, start, end, n_bins: int, size: int, inclusive_end: bool, dtype):
    """Masks (R, n_bins, size): which pixels along one axis fall into each bin of each ROI.

    ``start`` and ``end`` (R,) are the ROI's rounded pixel coordinates on this axis.
    """
    length = xp.maximum(end - start + (1 if inclusive_end else 0), 1).astype(dtype)
    stride = (length / dtype.type(n_bins))[:, None]                       # (R, 1)
    bins = xp.arange(n_bins).astype(dtype)[None, :]                       # (1, n_bins)
    lo = xp.clip(xp.floor(bins * stride) + start[:, None], 0, size)       # (R, n_bins)
    hi = xp.clip(xp.ceil((bins + 1) * stride) + start[:, None], 0, size)
    pixels = xp.arange(size).astype(dtype)[None, None, :]
    return (pixels >= lo[:, :, None]) & (pixels < hi[:, :, None])


def first_max(values, valid, xp):
    """The maximum over the last axis of ``values`` (a Variable) where ``valid`` is True.

    Like Chainer's ROI kernels, the gradient goes to the first maximal element
    only (``F.max`` would give it to every tie, e.g. to samples clamped to the
    same border pixel). Where nothing is valid the result is 0 (the caller
    decides what an empty bin shows). ``values`` must be finite everywhere.
    """
    from tracegrad.functions.math.sum import sum as sum_

    masked = xp.where(valid, values.array, values.dtype.type(-numpy.inf))
    first = xp.argmax(masked, axis=-1)[..., None]
    positions = xp.arange(values.shape[-1])
    pick = ((positions == first) & valid).astype(values.dtype)
    return sum_(values * pick, axis=-1)


def _prepare(caller: str, x, rois, roi_indices):
    """Check the inputs; return x as a Variable and the ROI corners as arrays."""
    x = as_variable(x)
    rois = rois.array if isinstance(rois, Variable) else rois
    if isinstance(roi_indices, Variable):
        roi_indices = roi_indices.array
    if x.ndim != 4 or x.dtype.kind != 'f':
        raise ValueError(f'{caller}: x must be a 4-d float array (n, c, h, w), got shape '
                         f'{x.shape} and dtype {x.dtype}')
    width = 5 if roi_indices is None else 4
    if rois.ndim != 2 or rois.shape[1] != width or rois.dtype.kind != 'f':
        raise ValueError(f'{caller}: rois must be a float array of shape (R, {width}), got '
                         f'shape {rois.shape} and dtype {rois.dtype}')
    if roi_indices is not None and (roi_indices.shape != rois.shape[:1]
                                    or roi_indices.dtype.kind not in 'iu'):
        raise ValueError(f'{caller}: roi_indices must be an int array of shape '
                         f'{rois.shape[:1]}, got shape {roi_indices.shape} and dtype '
                         f'{roi_indices.dtype}')
    xp = get_array_module(x.array)
    if roi_indices is None:  # (batch_index, x_min, y_min, x_max, y_max)
        roi_indices = rois[:, 0].astype(numpy.int32)
        corners = rois[:, 2], rois[:, 1], rois[:, 4], rois[:, 3]
    else:                    # (y_min, x_min, y_max, x_max)
        corners = rois[:, 0], rois[:, 1], rois[:, 2], rois[:, 3]
    return x, xp, roi_indices, corners


def _pool(caller: str, x, rois, roi_indices, outsize, spatial_scale, mode: str,
          inclusive_end: bool, empty_value: float):
    from tracegrad.functions.array.get_item import get_item
    from tracegrad.functions.array.reshape import reshape
    from tracegrad.functions.array.transpose import transpose
    from tracegrad.functions.array.where import where
    from tracegrad.functions.math.matmul import matmul

    outh, outw = outsize
    x, xp, roi_indices, corners = _prepare(caller, x, rois, roi_indices)
    _, c, h, w = x.shape
    dtype = numpy.dtype(numpy.float64)
    ymin, xmin, ymax, xmax = (xp.floor(v.astype(dtype) * spatial_scale + 0.5) for v in corners)
    mask_h = _bin_masks(xp, ymin, ymax, outh, h, inclusive_end, dtype)     # (R, outh, h)
    mask_w = _bin_masks(xp, xmin, xmax, outw, w, inclusive_end, dtype)     # (R, outw, w)
    n_rois = mask_h.shape[0]
    xs = get_item(x, roi_indices)                                          # (R, c, h, w)
    if mode == 'average':
        area = mask_h.sum(axis=2)[:, :, None] * mask_w.sum(axis=2)[:, None, :]
        scale = (1 / xp.maximum(area, 1)).astype(x.dtype)[:, None]         # (R, 1, outh, outw)
        # full batch shapes: the C backend multiplies stacks that match or are 2-d
        rows = xp.broadcast_to(mask_h.astype(x.dtype)[:, None], (n_rois, c, outh, h))
        cols = xp.broadcast_to(mask_w.astype(x.dtype)[:, None], (n_rois, c, outw, w))
        return matmul(matmul(rows, xs), cols, transb=True) * scale
    from tracegrad.functions.array.broadcast import broadcast_to

    # maximum over each row's part of a column bin: (R, c, h, outw)
    in_cols = xp.broadcast_to(mask_w[:, None, None, :, :], (n_rois, c, h, outw, w))
    by_row = first_max(broadcast_to(reshape(xs, (n_rois, c, h, 1, w)), in_cols.shape),
                       in_cols, xp)
    # then over the rows of the bin: (R, c, outh, outw)
    in_rows = xp.broadcast_to(mask_h[:, None, :, None, :], (n_rois, c, outh, outw, h))
    by_row = transpose(reshape(by_row, (n_rois, c, 1, h, outw)), (0, 1, 2, 4, 3))
    y = first_max(broadcast_to(by_row, in_rows.shape), in_rows, xp)
    filled = (mask_h.sum(axis=2)[:, :, None] * mask_w.sum(axis=2)[:, None, :]) > 0
    filled = xp.broadcast_to(filled[:, None], y.shape)
    return where(filled, y, xp.full(y.shape, empty_value, x.dtype))


def roi_pooling_2d(x, rois, outh, outw, spatial_scale) -> Variable:
    """Max pooling over each region of interest (Fast R-CNN), ROIs with batch indices.

    Each ROI ``(batch_index, x_min, y_min, x_max, y_max)`` is scaled by
    ``spatial_scale``, rounded to pixels (its end inclusive), split into
    ``outh x outw`` bins, and each bin of each channel is reduced to its
    maximum; a bin without pixels gives 0.

    Args:
        x (Variable or array): features, shape (n, c, h, w).
        rois (Variable or array): shape (R, 5), rows
            ``(batch_index, x_min, y_min, x_max, y_max)``.
        outh (int): output height.
        outw (int): output width.
        spatial_scale (float): the scale from ROI to feature coordinates.

    Returns:
        ~tracegrad.Variable: shape (R, c, outh, outw).

    See `Fast R-CNN <https://arxiv.org/abs/1504.08083>`_.

    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> rois = np.array([[0, 0, 0, 3, 3]], np.float32)
    >>> F.roi_pooling_2d(x, rois, 2, 2, 1.).array
    array([[[[ 5.,  7.],
             [13., 15.]]]], dtype=float32)
    """
    outsize = _outsize('roi_pooling_2d', (outh, outw))
    return _pool('roi_pooling_2d', x, rois, None, outsize, spatial_scale, 'max', True, 0.)


def roi_max_pooling_2d(x, rois, roi_indices, outsize, spatial_scale) -> Variable:
    """Max pooling over each region of interest, ROIs as ``(y_min, x_min, y_max, x_max)``.

    Like :func:`roi_pooling_2d` with the batch index of each ROI given
    separately, the ROI's end exclusive (its size is ``max - min``, at least
    one pixel), and ``-inf`` for a bin without pixels.

    Args:
        x (Variable or array): features, shape (n, c, h, w).
        rois (Variable or array): shape (R, 4), rows ``(y_min, x_min, y_max, x_max)``.
        roi_indices (Variable or array): the batch index of each ROI, shape (R,).
        outsize (int or tuple of int): ``(outh, outw)``, or one int for both.
        spatial_scale (float): the scale from ROI to feature coordinates.

    Returns:
        ~tracegrad.Variable: shape (R, c, outh, outw).
    """
    outsize = _outsize('roi_max_pooling_2d', outsize)
    return _pool('roi_max_pooling_2d', x, rois, roi_indices, outsize, spatial_scale, 'max',
                 False, -numpy.inf)


def roi_average_pooling_2d(x, rois, roi_indices, outsize, spatial_scale) -> Variable:
    """Average pooling over each region of interest, ROIs as ``(y_min, x_min, y_max, x_max)``.

    The bins are those of :func:`roi_max_pooling_2d`; each is reduced to its
    mean, and a bin without pixels gives 0.

    Args:
        x (Variable or array): features, shape (n, c, h, w).
        rois (Variable or array): shape (R, 4), rows ``(y_min, x_min, y_max, x_max)``.
        roi_indices (Variable or array): the batch index of each ROI, shape (R,).
        outsize (int or tuple of int): ``(outh, outw)``, or one int for both.
        spatial_scale (float): the scale from ROI to feature coordinates.

    Returns:
        ~tracegrad.Variable: shape (R, c, outh, outw).
    """
    outsize = _outsize('roi_average_pooling_2d', outsize)
    return _pool('roi_average_pooling_2d', x, rois, roi_indices, outsize, spatial_scale,
                 'average', False, 0.)
