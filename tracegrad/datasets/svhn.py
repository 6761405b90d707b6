"""SVHN, the Street View House Numbers (``get_svhn``), read from the official ``.mat``
files of its cropped-digits format."""
from __future__ import annotations

import os

import numpy

import tracegrad
from tracegrad.dataset import download
from tracegrad.datasets.tuple_dataset import TupleDataset

_URL = 'http://ufldl.stanford.edu/housenumbers/{}_32x32.mat'
_DOWNLOAD_TIMEOUT = 30.0


def get_svhn(withlabel=True, scale=1., dtype=None, label_dtype=numpy.int32, add_extra=False):
    """Return the SVHN training set (73257 images) and test set (26032 images).

    32x32 colour images of house-number digits, shaped ``(3, 32, 32)``, with pixel
    values scaled from 0..255 to ``[0, scale]``, and labels 0..9 (the files' label 10
    stands for the digit 0). ``train_32x32.mat``, ``test_32x32.mat`` (and
    ``extra_32x32.mat``) are read from ``<dataset root>/svhn`` (see
    :mod:`tracegrad.dataset.download`), downloaded from
    http://ufldl.stanford.edu/housenumbers/ when missing; their arrays are then kept in
    ``train.npz``/``test.npz``/``extra.npz`` next to them. Reading ``.mat`` files needs
    SciPy.

    Args:
        withlabel (bool): return (image, label) tuples; else only the images.
        scale (float): the value of a full-intensity pixel.
        dtype: dtype of the images; ``chainer.config.dtype`` (float32) by default.
        label_dtype: dtype of the labels.
        add_extra (bool): also return the 531131 "extra" images, as a third set.

    Returns:
        ``(train, test)``, or ``(train, test, extra)`` with ``add_extra``: datasets of
        (image, label) with labels, else image arrays.
    """
    dtype = tracegrad.get_dtype(dtype)
    parts = ('train', 'test', 'extra') if add_extra else ('train', 'test')
    return tuple(_format(_load(part), withlabel, scale, dtype, label_dtype) for part in parts)


def _load(part):
    folder = download.get_dataset_directory('svhn')

    def create(path):
        try:
            from scipy import io
        except ImportError as e:
            raise ImportError('get_svhn: reading the SVHN .mat files needs SciPy '
                              '(pip install scipy)') from e
        name = f'{part}_32x32.mat'
        mat = io.loadmat(download.find_or_download(
            'get_svhn', folder, name, [_URL.format(part)], check=io.loadmat,
            timeout=_DOWNLOAD_TIMEOUT))
        arrays = {'x': numpy.asarray(mat['X'], numpy.uint8),
                  'y': numpy.asarray(mat['y'], numpy.uint8)}
        numpy.savez_compressed(path, **arrays)
        return arrays

    return download.cache_or_load_file(os.path.join(folder, f'{part}.npz'), create,
                                      download.load_npz)


def _format(raw, withlabel, scale, dtype, label_dtype):
    # The files store images as (height, width, channel, N).
    images = raw['x'].transpose(3, 2, 0, 1).astype(dtype)
    images *= scale / 255.
    if not withlabel:
        return images
    labels = raw['y'].ravel() % 10  # label 10 is the digit 0
    return TupleDataset(images, labels.astype(label_dtype))
