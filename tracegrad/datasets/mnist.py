"""MNIST, read from the standard IDX files (``get_mnist``)."""
from __future__ import annotations

import os

import numpy

import tracegrad
from tracegrad.dataset import download
from tracegrad.datasets._image_format import format_images
from tracegrad.datasets.idx import read_idx

# The four files of the official distribution, as (name, kind).
_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
# Where missing files are fetched from (the gzip-compressed files), tried in order.
_MIRRORS = [
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
    'https://storage.googleapis.com/cvdf-datasets/mnist/',
    'http://yann.lecun.com/exdb/mnist/',
]
_DOWNLOAD_TIMEOUT = 5.0


def get_mnist(withlabel=True, ndim=1, scale=1., dtype=None, label_dtype=numpy.int32,
              rgb_format=False):
    """Return the MNIST training set (60000 images) and test set (10000 images).

    Grey-scale 28x28 images of handwritten digits, with pixel values scaled from
    0..255 to ``[0, scale]``. The files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (each possibly with ``.gz``) are read from
    ``<dataset root>/mnist``, where the root is ``$TRACEGRAD_DATASET_ROOT`` or else
    ``~/.cache/tracegrad/datasets`` (``$XDG_CACHE_HOME/tracegrad/datasets`` when set);
    see :mod:`tracegrad.dataset.download`. Missing files are downloaded there when
    the network allows; otherwise a RuntimeError says which files to put where.

    Args:
        withlabel (bool): return (image, label) tuples; else only the images.
        ndim (int): 1: images of shape ``(784,)``; 2: ``(28, 28)``; 3: ``(1, 28, 28)``.
        scale (float): the value of a white pixel.
        dtype: dtype of the images; ``chainer.config.dtype`` (float32) by default.
        label_dtype: dtype of the labels.
        rgb_format (bool): with ``ndim=3``, repeat the channel to shape ``(3, 28, 28)``.

    Returns:
        ``(train, test)``: two :class:`~tracegrad.datasets.TupleDataset` with labels,
        else two image arrays.
    """
    dtype = tracegrad.get_dtype(dtype)
    folder = download.get_dataset_directory('mnist', create_directory=False)
    return tuple(
        format_images(*_load(folder, part), 255, withlabel, ndim, scale, dtype, label_dtype,
                      rgb_format, 'get_mnist')
        for part in ('train', 'test'))


def _load(folder, part):
    image_name, label_name = _FILES[part]
    images = read_idx(_find_or_download(folder, image_name))
    labels = read_idx(_find_or_download(folder, label_name))
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != numpy.uint8:
        raise ValueError(f'get_mnist: {image_name} in {folder} should hold uint8 images of '
                         f'shape (N, 28, 28), got {images.dtype} {images.shape}')
    if labels.shape != images.shape[:1]:
        raise ValueError(f'get_mnist: {label_name} holds {labels.shape} labels for '
                         f'{len(images)} images in {image_name}; the files do not match')
    return images, labels


def _find_or_download(folder, name):
    for candidate in (name, name + '.gz'):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    path = os.path.join(folder, name + '.gz')
    errors = []
    for mirror in _MIRRORS:
        try:
            download.download_file(mirror + name + '.gz', path, _DOWNLOAD_TIMEOUT, read_idx)
            return path
        except (OSError, ValueError) as e:
            errors.append(f'{mirror}: {e}')
    missing = [n for pair in _FILES.values() for n in pair
               if not any(os.path.exists(os.path.join(folder, n + ext)) for ext in ('', '.gz'))]
    raise RuntimeError(
        f'get_mnist: the MNIST file {name}(.gz) is not in {folder} and could not be '
        f'downloaded ({"; ".join(errors) or "no mirror configured"}).\n'
        f'Put these files there (gzip-compressed with .gz or not): {", ".join(missing)}; '
        f'or set TRACEGRAD_DATASET_ROOT to a folder whose mnist/ subfolder holds them.')
