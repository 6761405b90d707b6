"""Weights that make a convolution resample an image: ``UpsamplingDeconvFilter`` and
``DownsamplingConvFilter`` (linear interpolation, as in Long et al.'s fully convolutional
networks, https://arxiv.org/abs/1411.4038)."""
from __future__ import annotations

import numpy

from tracegrad.initializers.base import Initializer, _fill


def linear_filter(size: int, ndim: int) -> numpy.ndarray:
    """The ``ndim``-dimensional tent filter of side ``size``: each axis weighs
    ``1 - |i - center| / factor`` with ``factor = (size + 1) // 2``."""
    factor = (size + 1) // 2
    center = factor - 1. if size % 2 else factor - 0.5
    tent = 1. - numpy.abs(numpy.arange(size) - center) / factor
    filt = numpy.ones((size,) * ndim)
    for axis in range(ndim):
        filt = filt * tent.reshape((size,) + (1,) * (ndim - 1 - axis))
    return filt


class _ResamplingFilter(Initializer):
    _normalize = False

    def __init__(self, interpolation='linear', dtype=None):
        if interpolation != 'linear':
            raise ValueError(f'{type(self).__name__}: unsupported interpolation '
                             f'{interpolation!r}; only \'linear\' is available')
        super().__init__(dtype)
        self.interpolation = interpolation

    def __call__(self, array) -> None:
        self._check_dtype(array)
        name = type(self).__name__
        if array.ndim < 3:
            raise ValueError(f'{name}: expected a convolution weight (channels, channels, '
                             f'*kernel), got shape {array.shape}')
        a, b = array.shape[:2]
        if b not in (a, 1):
            raise ValueError(f'{name}: the weight must map each channel to itself (shape '
                             f'(C, C, ...) or (C, 1, ...)), got shape {array.shape}')
        ksize = set(array.shape[2:])
        if len(ksize) != 1:
            raise ValueError(f'{name}: the kernel must have equal sides, got '
                             f'{array.shape[2:]}')
        filt = linear_filter(ksize.pop(), array.ndim - 2)
        if self._normalize:
            filt = filt / filt.sum()
        values = numpy.zeros(array.shape)
        channels = numpy.arange(a)
        values[channels, channels if b == a else 0] = filt
        _fill(array, values)


class UpsamplingDeconvFilter(_ResamplingFilter):
    """Fill a deconvolution weight so that it upsamples each channel by linear
    interpolation (use with ``stride == (ksize + 1) // 2``, e.g. ``L.Deconvolution2D``
    or ``L.DeconvolutionND``).

    Args:
        interpolation (str): ``'linear'``, the only method.
        dtype: the dtype the filled array must have (None: any).

    >>> w = np.empty((1, 1, 4, 4), np.float32)
    >>> initializers.UpsamplingDeconvFilter()(w); w[0, 0]
    array([[0.0625, 0.1875, 0.1875, 0.0625],
           [0.1875, 0.5625, 0.5625, 0.1875],
           [0.1875, 0.5625, 0.5625, 0.1875],
           [0.0625, 0.1875, 0.1875, 0.0625]], dtype=float32)
    """


class DownsamplingConvFilter(_ResamplingFilter):
    """Fill a convolution weight so that it downsamples each channel, averaging with
    linear-interpolation weights that sum to 1 (use with ``stride == (ksize + 1) // 2``).

    Args:
        interpolation (str): ``'linear'``, the only method.
        dtype: the dtype the filled array must have (None: any).
    """

    _normalize = True
