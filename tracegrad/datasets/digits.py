"""scikit-learn's 8x8 handwritten digits in MNIST's format (``get_digits``)."""
from __future__ import annotations

import numpy

import tracegrad
from tracegrad.datasets._image_format import format_images

# The fixed permutation that decides which examples are for training.
_SPLIT_SEED = 0


def get_digits(withlabel=True, ndim=1, scale=1., dtype=None, label_dtype=numpy.int32,
               split=0.8, rgb_format=False):
    """Return a training and a test set of scikit-learn's handwritten digits.

    1797 grey-scale 8x8 images of the digits 0..9 (``sklearn.datasets.load_digits``,
    shipped with scikit-learn: no download), with pixel values scaled from 0..16 to
    ``[0, scale]``: a small stand-in for :func:`get_mnist`, in the same format. The
    examples are shuffled by a fixed permutation (``RandomState(0)``) and the first
    ``split`` of them form the training set: by default 1437 for training and 360
    for testing, the same ones on every machine and every call.

    Args:
        withlabel (bool): return (image, label) tuples; else only the images.
        ndim (int): 1: images of shape ``(64,)``; 2: ``(8, 8)``; 3: ``(1, 8, 8)``.
        scale (float): the value of the darkest pixel.
        dtype: dtype of the images; ``chainer.config.dtype`` (float32) by default.
        label_dtype: dtype of the labels.
        split (float or int): a fraction of the examples for training (``int(1797 *
            split)`` of them), or their number.
        rgb_format (bool): with ``ndim=3``, repeat the channel to shape ``(3, 8, 8)``.

    Returns:
        ``(train, test)``: two :class:`~tracegrad.datasets.TupleDataset` with labels,
        else two image arrays.

    Raises:
        ImportError: scikit-learn is not installed.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError('get_digits needs scikit-learn: pip install "tracegrad[examples]"') \
            from e
    digits = load_digits()
    images, labels = digits.images, digits.target
    n = len(images)
    if isinstance(split, (float, numpy.floating)):
        if not 0 <= split <= 1:
            raise ValueError(f'get_digits: split must be in [0, 1] as a fraction, got {split}')
        n_train = int(n * split)
    elif isinstance(split, (int, numpy.integer)) and not isinstance(split, bool):
        if not 0 <= split <= n:
            raise ValueError(f'get_digits: split must be in [0, {n}] as a count, got {split}')
        n_train = int(split)
    else:
        raise TypeError(f'get_digits: split must be a float or an int, got {split!r}')
    order = numpy.random.RandomState(_SPLIT_SEED).permutation(n)
    dtype = tracegrad.get_dtype(dtype)
    return tuple(
        format_images(images[part], labels[part], 16, withlabel, ndim, scale, dtype,
                      label_dtype, rgb_format, 'get_digits')
        for part in (order[:n_train], order[n_train:]))
