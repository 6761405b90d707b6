"""CIFAR-10 and CIFAR-100, read from the official "python version" archives
(``get_cifar10``, ``get_cifar100``)."""
from __future__ import annotations

import os
import pickle
import tarfile

import numpy

import tracegrad
from tracegrad.dataset import download
from tracegrad.datasets.tuple_dataset import TupleDataset

_URL = 'https://www.cs.toronto.edu/~kriz/{}-python.tar.gz'
# Members of each archive holding (training, test) images, and the key of their labels.
_MEMBERS = {
    'cifar-10': ([f'cifar-10-batches-py/data_batch_{i}' for i in range(1, 6)],
                 ['cifar-10-batches-py/test_batch'], 'labels'),
    'cifar-100': (['cifar-100-python/train'], ['cifar-100-python/test'], 'fine_labels'),
}
_DOWNLOAD_TIMEOUT = 30.0


def get_cifar10(withlabel=True, ndim=3, scale=1., dtype=None):
    """Return the CIFAR-10 training set (50000 images) and test set (10000 images).

    32x32 colour images of ten classes, with pixel values scaled from 0..255 to
    ``[0, scale]``. The archive ``cifar-10-python.tar.gz`` is read from
    ``<dataset root>/cifar`` (see :mod:`tracegrad.dataset.download`), downloaded from
    https://www.cs.toronto.edu/~kriz/cifar.html when missing; its arrays are then kept
    in ``cifar-10.npz`` next to it, so later calls skip the archive.

    Args:
        withlabel (bool): return (image, label) tuples; else only the images.
        ndim (int): 3: images of shape ``(3, 32, 32)``; 1: ``(3072,)``.
        scale (float): the value of a full-intensity pixel.
        dtype: dtype of the images; ``chainer.config.dtype`` (float32) by default.

    Returns:
        ``(train, test)``: two :class:`~tracegrad.datasets.TupleDataset` of (image,
        int32 label) with labels, else two image arrays.
    """
    return _get_cifar('cifar-10', 'get_cifar10', withlabel, ndim, scale, dtype)


def get_cifar100(withlabel=True, ndim=3, scale=1., dtype=None):
    """Return the CIFAR-100 training set (50000 images) and test set (10000 images).

    As :func:`get_cifar10`, for the archive ``cifar-100-python.tar.gz`` (kept as
    ``cifar-100.npz``); the labels are the 100 fine classes.
    """
    return _get_cifar('cifar-100', 'get_cifar100', withlabel, ndim, scale, dtype)


def _get_cifar(name, function, withlabel, ndim, scale, dtype):
    if ndim not in (1, 3):
        raise ValueError(f'{function}: invalid ndim {ndim!r}; expected 1 or 3')
    folder = download.get_dataset_directory('cifar')

    def create(path):
        archive = download.find_or_download(
            function, folder, f'{name}-python.tar.gz', [_URL.format(name)],
            check=lambda p: tarfile.open(p, 'r:gz').close(), timeout=_DOWNLOAD_TIMEOUT)
        arrays = _read_archive(archive, name, function)
        numpy.savez_compressed(path, **arrays)
        return arrays

    raw = download.cache_or_load_file(os.path.join(folder, f'{name}.npz'), create,
                                      download.load_npz)
    dtype = tracegrad.get_dtype(dtype)
    return tuple(_format(raw[f'{part}_x'], raw[f'{part}_y'], withlabel, ndim, scale, dtype)
                 for part in ('train', 'test'))


def _read_archive(path, name, function):
    train_members, test_members, label_key = _MEMBERS[name]
    arrays = {}
    with tarfile.open(path, 'r:gz') as archive:
        for part, members in (('train', train_members), ('test', test_members)):
            images, labels = [], []
            for member in members:
                try:
                    file = archive.extractfile(member)
                except KeyError:
                    file = None
                if file is None:
                    raise ValueError(f'{function}: {path} has no {member}; is it the '
                                     f'official {name} python archive?')
                # The official archive holds Python 2 pickles of NumPy arrays and lists.
                batch = pickle.load(file, encoding='latin1')
                images.append(numpy.asarray(batch['data'], numpy.uint8).reshape(-1, 3072))
                labels.append(numpy.asarray(batch[label_key], numpy.uint8))
            arrays[f'{part}_x'] = numpy.concatenate(images)
            arrays[f'{part}_y'] = numpy.concatenate(labels)
    return arrays


def _format(images, labels, withlabel, ndim, scale, dtype):
    images = images.reshape((-1, 3072) if ndim == 1 else (-1, 3, 32, 32)).astype(dtype)
    images *= scale / 255.
    if withlabel:
        return TupleDataset(images, labels.astype(numpy.int32))
    return images
