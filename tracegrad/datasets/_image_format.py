"""Chainer's layout of small grey-scale image data sets (MNIST, digits)."""
from __future__ import annotations

import numpy

from tracegrad.datasets.tuple_dataset import TupleDataset


def format_images(images, labels, max_value, withlabel, ndim, scale, dtype, label_dtype,
                  rgb_format, name):
    """Images ``(N, H, W)`` with values in ``[0, max_value]`` to Chainer's format.

    Shapes: ``ndim=1`` ``(N, H*W)``; ``ndim=2`` ``(N, H, W)``; ``ndim=3``
    ``(N, 1, H, W)``, or ``(N, 3, H, W)`` with ``rgb_format``. Values are scaled to
    ``[0, scale]`` in ``dtype``. Returns a :class:`TupleDataset` of (image, label)
    when ``withlabel``, else the image array.
    """
    n, h, w = images.shape
    if ndim == 1:
        images = images.reshape(n, h * w)
    elif ndim == 2:
        pass
    elif ndim == 3:
        images = images.reshape(n, 1, h, w)
        if rgb_format:
            images = numpy.broadcast_to(images, (n, 3, h, w))
    else:
        raise ValueError(f'{name}: invalid ndim {ndim!r} for {name}; expected 1, 2 or 3')
    images = images.astype(dtype)
    images *= scale / float(max_value)
    if withlabel:
        return TupleDataset(images, labels.astype(label_dtype))
    return images
