"""MNIST and its drop-in twins Fashion-MNIST and Kuzushiji-MNIST, read from the standard
IDX files (``get_mnist``, ``get_fashion_mnist``, ``get_kuzushiji_mnist``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy

import tracegrad
from tracegrad.dataset import download
from tracegrad.datasets._image_format import format_images
from tracegrad.datasets.idx import read_idx

# The four files of each official distribution, as (images, labels) per part.
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
_FASHION_MIRRORS = ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/']
_KUZUSHIJI_MIRRORS = ['http://codh.rois.ac.jp/kmnist/dataset/kmnist/']
_DOWNLOAD_TIMEOUT = 5.0

_FASHION_LABELS = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
                   'Sneaker', 'Bag', 'Ankle boot')
# (romaji, character) of the ten Kuzushiji-MNIST classes, in label order.
_KUZUSHIJI_LABELS = (('o', '\u304A'), ('ki', '\u304D'), ('su', '\u3059'), ('tsu', '\u3064'),
                     ('na', '\u306A'), ('ha', '\u306F'), ('ma', '\u307E'), ('ya', '\u3084'),
                     ('re', '\u308C'), ('wo', '\u3092'))


@dataclass(frozen=True)
class _IdxImageSet:
    function: str  # the public function, for messages
    folder: str  # subfolder of the dataset root
    mirrors_attr: str  # module attribute listing the mirrors (tests replace it)

    def load(self, withlabel, ndim, scale, dtype, label_dtype, rgb_format):
        dtype = tracegrad.get_dtype(dtype)
        folder = download.get_dataset_directory(self.folder, create_directory=False)
        return tuple(
            format_images(*self._load(folder, part), 255, withlabel, ndim, scale, dtype,
                          label_dtype, rgb_format, self.function)
            for part in ('train', 'test'))

    def _load(self, folder, part):
        image_name, label_name = _FILES[part]
        images = read_idx(self._find_or_download(folder, image_name))
        labels = read_idx(self._find_or_download(folder, label_name))
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != numpy.uint8:
            raise ValueError(f'{self.function}: {image_name} in {folder} should hold uint8 '
                             f'images of shape (N, 28, 28), got {images.dtype} '
                             f'{images.shape}')
        if labels.shape != images.shape[:1]:
            raise ValueError(f'{self.function}: {label_name} holds {labels.shape} labels for '
                             f'{len(images)} images in {image_name}; the files do not match')
        return images, labels

    def _find_or_download(self, folder, name):
        mirrors = globals()[self.mirrors_attr]
        return download.find_or_download(
            self.function, folder, name + '.gz', [m + name + '.gz' for m in mirrors],
            check=read_idx, alternatives=(name,),
            expected=[n for pair in _FILES.values() for n in pair],
            hint=' (gzip-compressed with .gz or not)', timeout=_DOWNLOAD_TIMEOUT)


_MNIST = _IdxImageSet('get_mnist', 'mnist', '_MIRRORS')
_FASHION_MNIST = _IdxImageSet('get_fashion_mnist', 'fashion_mnist', '_FASHION_MIRRORS')
_KUZUSHIJI_MNIST = _IdxImageSet('get_kuzushiji_mnist', 'kuzushiji_mnist',
                                '_KUZUSHIJI_MIRRORS')

_WHERE = ('''
    The files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each possibly with
    ``.gz``) are read from ``<dataset root>/{folder}``, where the root is
    ``$TRACEGRAD_DATASET_ROOT`` or else ``~/.cache/tracegrad/datasets``
    (``$XDG_CACHE_HOME/tracegrad/datasets`` when set); see
    :mod:`tracegrad.dataset.download`. Missing files are downloaded there when the
    network allows; otherwise a RuntimeError says which files to put where.''')


def get_mnist(withlabel=True, ndim=1, scale=1., dtype=None, label_dtype=numpy.int32,
              rgb_format=False):
    """Return the MNIST training set (60000 images) and test set (10000 images).

    Grey-scale 28x28 images of handwritten digits, with pixel values scaled from
    0..255 to ``[0, scale]``.{where}

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
    return _MNIST.load(withlabel, ndim, scale, dtype, label_dtype, rgb_format)


def get_fashion_mnist(withlabel=True, ndim=1, scale=1., dtype=None,
                      label_dtype=numpy.int32, rgb_format=False):
    """Return the Fashion-MNIST training set (60000 images) and test set (10000 images).

    Grey-scale 28x28 images of ten kinds of clothing (names in
    :func:`get_fashion_mnist_labels`), in MNIST's format; the arguments and the result
    are those of :func:`get_mnist`.{where}
    """
    return _FASHION_MNIST.load(withlabel, ndim, scale, dtype, label_dtype, rgb_format)


def get_fashion_mnist_labels() -> list:
    """Return the names of Fashion-MNIST's ten classes, in label order."""
    return list(_FASHION_LABELS)


def get_kuzushiji_mnist(withlabel=True, ndim=1, scale=1., dtype=None,
                        label_dtype=numpy.int32, rgb_format=False):
    """Return the Kuzushiji-MNIST training set (60000 images) and test set (10000 images).

    Grey-scale 28x28 images of ten cursive Japanese (kuzushiji) characters (listed by
    :func:`get_kuzushiji_mnist_labels`), in MNIST's format; the arguments and the
    result are those of :func:`get_mnist`.{where}
    """
    return _KUZUSHIJI_MNIST.load(withlabel, ndim, scale, dtype, label_dtype, rgb_format)


def get_kuzushiji_mnist_labels() -> list:
    """Return Kuzushiji-MNIST's ten classes in label order, as (romaji, character) pairs."""
    return list(_KUZUSHIJI_LABELS)


for _function, _set in ((get_mnist, _MNIST), (get_fashion_mnist, _FASHION_MNIST),
                        (get_kuzushiji_mnist, _KUZUSHIJI_MNIST)):
    if _function.__doc__:  # None under python -OO
        _function.__doc__ = _function.__doc__.replace('{where}',
                                                      _WHERE.format(folder=_set.folder))
