"""ROI align (Mask R-CNN): ``roi_average_align_2d`` and ``roi_max_align_2d``.

Each ROI (in continuous coordinates, not rounded) is split into ``outh x outw``
bins, and each bin is sampled on a regular grid of points by bilinear
interpolation; the bin's value is the mean (or the maximum) of its samples.

Bilinear interpolation is separable, so the samples of all bins of an ROI are
``Wy @ x @ Wx.T`` for interpolation matrices ``Wy`` (samples x rows) and
``Wx`` (samples x columns). The matrices depend only on the ROIs and are built
on the host (the number of samples per bin may depend on the ROI's size);
the products are differentiable and trace. ROIs that are themselves traced
values cannot be turned into matrices while compiling: that raises
CompileError naming the function.
"""
from __future__ import annotations

import numpy

from tracegrad.backends import cuda
from tracegrad.functions.pooling.roi_pooling_2d import _outsize, _prepare, first_max
from tracegrad.variable import Variable

__all__ = ['roi_average_align_2d', 'roi_max_align_2d']


def _sampling_ratio(caller: str, ratio) -> tuple:
    pair = ratio if isinstance(ratio, tuple) else (ratio, ratio)
    if len(pair) != 2 or not all(
            s is None or (isinstance(s, (int, numpy.integer)) and not isinstance(s, bool)
                          and s >= 1) for s in pair):
        raise TypeError(f'{caller}: sampling_ratio must be None, an int >= 1 or a pair of '
                        f'them, got {ratio!r}')
    return pair


def _axis_samples(start, end, n_bins: int, size: int, ratio):
    """Interpolation weights along one axis.

    Returns ``weights`` (R, n_bins, G, size), ``valid`` (R, n_bins, G) and the
    number of grid points per bin of each ROI (R,); G is the largest of them,
    and the grid points past an ROI's own number are invalid.
    """
    length = numpy.maximum(end - start, 1.)
    bin_size = length / n_bins
    grid = (numpy.full(len(start), ratio) if ratio is not None
            else numpy.ceil(bin_size).astype(numpy.int64))
    g_max = int(grid.max()) if len(grid) else 1
    k = numpy.arange(g_max)
    pos = (start[:, None, None] + numpy.arange(n_bins)[None, :, None] * bin_size[:, None, None]
           + (k[None, None, :] + .5) * (bin_size / grid)[:, None, None])
    valid = (k[None, None, :] < grid[:, None, None]) & (pos >= -1) & (pos <= size)
    low = numpy.floor(pos)
    low = numpy.where(low == size, low - 1, low)
    high = low + 1
    pos = numpy.where(low <= -1, 0., numpy.where(high >= size, size - 1., pos))
    weights = numpy.zeros(pos.shape + (size,))
    index = numpy.nonzero(valid)
    for corner, w in ((low, high - pos), (high, pos - low)):
        inside = (corner[index] >= 0) & (corner[index] <= size - 1)
        at = tuple(i[inside] for i in index) + (corner[index][inside].astype(numpy.intp),)
        numpy.add.at(weights, at, w[index][inside])
    return weights, valid, grid


def _align(caller: str, x, rois, roi_indices, outsize, spatial_scale, sampling_ratio,
           mode: str):
    from tracegrad.compile.tracer import fail
    from tracegrad.functions.array.get_item import get_item
    from tracegrad.functions.array.reshape import reshape
    from tracegrad.functions.array.transpose import transpose
    from tracegrad.functions.array.where import where
    from tracegrad.functions.math.matmul import matmul

    outh, outw = _outsize(caller, outsize)
    ratio_h, ratio_w = _sampling_ratio(caller, sampling_ratio)
    if not spatial_scale > 0:
        raise ValueError(f'{caller}: spatial_scale must be positive, got {spatial_scale}')
    x, xp, roi_indices, corners = _prepare(caller, x, rois, roi_indices)
    raw = rois.array if isinstance(rois, Variable) else rois
    if not isinstance(raw, (numpy.ndarray, cuda.ndarray)):
        raise fail(f'{caller}: the ROIs are traced values; their sampling matrices are '
                   'built on the host, so pass them as NumPy/CuPy constants')
    _, c, h, w = x.shape
    ymin, xmin, ymax, xmax = (cuda.to_cpu(v).astype(numpy.float64) * spatial_scale
                              for v in corners)
    wy, valid_y, grid_h = _axis_samples(ymin, ymax, outh, h, ratio_h)   # (R, outh, Gh, h)
    wx, valid_x, grid_w = _axis_samples(xmin, xmax, outw, w, ratio_w)   # (R, outw, Gw, w)
    n_rois, gh, gw = wy.shape[0], wy.shape[2], wx.shape[2]
    xs = get_item(x, roi_indices)                                         # (R, c, h, w)

    def device(a, shape):  # full batch shapes: the C backend multiplies matching stacks
        return xp.broadcast_to(xp.asarray(a.astype(x.dtype)), shape)

    if mode == 'average':
        count = (grid_h * grid_w).astype(numpy.float64)[:, None, None, None]
        rows = device(wy.sum(axis=2)[:, None] / count, (n_rois, c, outh, h))
        cols = device(wx.sum(axis=2)[:, None], (n_rois, c, outw, w))
        return matmul(matmul(rows, xs), cols, transb=True)
    rows = device(wy.reshape(n_rois, 1, outh * gh, h), (n_rois, c, outh * gh, h))
    cols = device(wx.reshape(n_rois, 1, outw * gw, w), (n_rois, c, outw * gw, w))
    samples = reshape(matmul(matmul(rows, xs), cols, transb=True), (n_rois, c, outh, gh, outw, gw))
    samples = reshape(transpose(samples, (0, 1, 2, 4, 3, 5)), (n_rois, c, outh, outw, gh * gw))
    valid = valid_y[:, :, None, :, None] & valid_x[:, None, :, None, :]  # (R, outh, outw, Gh, Gw)
    valid = valid.reshape(n_rois, 1, outh, outw, gh * gw)
    y = first_max(samples, xp.broadcast_to(xp.asarray(valid), samples.shape), xp)
    filled = xp.broadcast_to(xp.asarray(valid.any(axis=4)), y.shape)
    return where(filled, y, xp.full(y.shape, -numpy.inf, x.dtype))


def roi_average_align_2d(x, rois, roi_indices, outsize, spatial_scale,
                         sampling_ratio=None) -> Variable:
    """ROI align with the mean of each bin's samples (Mask R-CNN).

    An ROI ``(y_min, x_min, y_max, x_max)`` times ``spatial_scale`` (not
    rounded; at least one pixel high and wide) is split into ``outh x outw``
    bins, each sampled on a ``sampling_ratio`` grid by bilinear interpolation;
    samples more than one pixel outside the image count as zeros.

    Args:
        x (Variable or array): features, shape (n, c, h, w).
        rois (Variable or array): shape (R, 4), rows ``(y_min, x_min, y_max, x_max)``.
        roi_indices (Variable or array): the batch index of each ROI, shape (R,).
        outsize (int or tuple of int): ``(outh, outw)``, or one int for both.
        spatial_scale (float): the scale from ROI to feature coordinates.
        sampling_ratio (int, tuple of int or None): sample points per bin
            along (h, w); None uses ``ceil`` of the bin's size.

    Returns:
        ~tracegrad.Variable: shape (R, c, outh, outw).

    See `Mask R-CNN <https://arxiv.org/abs/1703.06870>`_.
    """
    return _align('roi_average_align_2d', x, rois, roi_indices, outsize, spatial_scale,
                  sampling_ratio, 'average')


def roi_max_align_2d(x, rois, roi_indices, outsize, spatial_scale,
                     sampling_ratio=None) -> Variable:
    """ROI align with the maximum of each bin's samples.

    The samples are those of :func:`roi_average_align_2d`, except that
    samples more than one pixel outside the image are left out; a bin with
    none gives ``-inf``.

    Args:
        x (Variable or array): features, shape (n, c, h, w).
        rois (Variable or array): shape (R, 4), rows ``(y_min, x_min, y_max, x_max)``.
        roi_indices (Variable or array): the batch index of each ROI, shape (R,).
        outsize (int or tuple of int): ``(outh, outw)``, or one int for both.
        spatial_scale (float): the scale from ROI to feature coordinates.
        sampling_ratio (int, tuple of int or None): sample points per bin
            along (h, w); None uses ``ceil`` of the bin's size.

    Returns:
        ~tracegrad.Variable: shape (R, c, outh, outw).
    """
    return _align('roi_max_align_2d', x, rois, roi_indices, outsize, spatial_scale,
                  sampling_ratio, 'max')
