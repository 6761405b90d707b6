"""Image files as data sets: from paths (``ImageDataset``, ``LabeledImageDataset``) or
inside zip archives (``ZippedImageDataset``, ``LabeledZippedImageDataset``,
``MultiZippedImageDataset``). Reading images needs Pillow."""
from __future__ import annotations

import bisect
import io
import os
import threading
import zipfile

import numpy

import tracegrad
from tracegrad.dataset.dataset_mixin import DatasetMixin


def _pillow(who):
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(f'{who}: reading images needs Pillow (pip install pillow)') from e
    return Image


def _read_image(file, dtype, who):
    """An image file as a ``(channels, height, width)`` array (grey images: 1 channel)."""
    with _pillow(who).open(file) as image:
        array = numpy.asarray(image, dtype=dtype)
    if array.ndim == 2:
        array = array[:, :, None]
    return array.transpose(2, 0, 1)


def _read_pairs(path, who):
    pairs = []
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if len(fields) != 2:
                raise ValueError(f'{who}: line {number} of {path} should be "<path> <label>", '
                                 f'got {line.strip()!r}')
            pairs.append((fields[0], int(fields[1])))
    return pairs


class ImageDataset(DatasetMixin):
    """Images read from files, each as a ``(channels, height, width)`` array.

    Args:
        paths (str or list of str): the image paths, or the path of a text file that
            lists them one per line.
        root (str): folder the paths are relative to.
        dtype: dtype of the arrays; ``chainer.config.dtype`` (float32) by default.
            Values are the files' (0..255 for 8-bit images), not rescaled.
    """

    def __init__(self, paths, root='.', dtype=None):
        _pillow('ImageDataset')
        if isinstance(paths, str):
            with open(paths) as lines:
                paths = [line.strip() for line in lines]
        self._paths = list(paths)
        self._root = root
        self._dtype = tracegrad.get_dtype(dtype)

    def __len__(self) -> int:
        return len(self._paths)

    def get_example(self, i):
        return _read_image(os.path.join(self._root, self._paths[i]), self._dtype,
                           'ImageDataset')


class LabeledImageDataset(DatasetMixin):
    """(image, label) pairs: images read from files, labels given with them.

    Args:
        pairs (str or list of tuples): ``(path, int label)`` pairs, or the path of a
            text file with one ``<path> <label>`` pair per line.
        root (str): folder the paths are relative to.
        dtype: dtype of the images; ``chainer.config.dtype`` (float32) by default.
        label_dtype: dtype of the labels (0-d arrays).
    """

    def __init__(self, pairs, root='.', dtype=None, label_dtype=numpy.int32):
        _pillow('LabeledImageDataset')
        if isinstance(pairs, str):
            pairs = _read_pairs(pairs, 'LabeledImageDataset')
        self._pairs = list(pairs)
        self._root = root
        self._dtype = tracegrad.get_dtype(dtype)
        self._label_dtype = label_dtype

    def __len__(self) -> int:
        return len(self._pairs)

    def get_example(self, i):
        path, label = self._pairs[i]
        image = _read_image(os.path.join(self._root, path), self._dtype, 'LabeledImageDataset')
        return image, numpy.array(label, dtype=self._label_dtype)


class ZippedImageDataset(DatasetMixin):
    """The images in a zip archive (every file in it, in the archive's order).

    One archive instead of many small files suits networked file systems. The
    dataset can be pickled (to send it to other processes); each process opens the
    archive again.

    Args:
        zipfilename (str): the archive.
        dtype: dtype of the arrays; ``chainer.config.dtype`` (float32) by default.
    """

    def __init__(self, zipfilename, dtype=None):
        _pillow('ZippedImageDataset')
        self._zipfilename = zipfilename
        self._dtype = tracegrad.get_dtype(dtype)
        self._archive, self._pid = zipfile.ZipFile(zipfilename), os.getpid()
        self._paths = [n for n in self._archive.namelist() if not n.endswith('/')]
        self._lock = threading.Lock()

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_archive'] = None
        del state['_lock']
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._paths)

    def get_example(self, i_or_filename):
        """The ``i``-th image, or the image named ``i_or_filename`` in the archive."""
        name = self._paths[i_or_filename] if isinstance(i_or_filename, (int, numpy.integer)) \
            else i_or_filename
        with self._lock:
            if self._archive is None or self._pid != os.getpid():
                self._archive, self._pid = zipfile.ZipFile(self._zipfilename), os.getpid()
            data = self._archive.read(name)
        # Pillow seeks in the file, which a zip member cannot do.
        return _read_image(io.BytesIO(data), self._dtype, 'ZippedImageDataset')


class LabeledZippedImageDataset(DatasetMixin):
    """(image, label) pairs: images from a zip archive, labels from a text file.

    Args:
        zipfilename (str): the archive.
        labelfilename (str): a text file of ``<name in the archive> <label>`` lines.
        dtype: dtype of the images; ``chainer.config.dtype`` (float32) by default.
        label_dtype: dtype of the labels.
    """

    def __init__(self, zipfilename, labelfilename, dtype=None, label_dtype=numpy.int32):
        self._pairs = _read_pairs(labelfilename, 'LabeledZippedImageDataset')
        self._images = ZippedImageDataset(zipfilename, dtype)
        self._label_dtype = label_dtype

    def __len__(self) -> int:
        return len(self._pairs)

    def get_example(self, i):
        name, label = self._pairs[i]
        return self._images.get_example(name), numpy.array(label, dtype=self._label_dtype)


class MultiZippedImageDataset(DatasetMixin):
    """The images of several zip archives, one after another.

    Args:
        zipfilenames (list of str): the archives.
        dtype: dtype of the arrays; ``chainer.config.dtype`` (float32) by default.
    """

    def __init__(self, zipfilenames, dtype=None):
        self._archives = [ZippedImageDataset(name, dtype) for name in zipfilenames]
        self._ends = list(numpy.cumsum([len(a) for a in self._archives], dtype=int))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def get_example(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f'MultiZippedImageDataset: index {i} out of range for '
                             f'{len(self)} images')
        k = bisect.bisect_right(self._ends, i)
        return self._archives[k].get_example(i - (self._ends[k - 1] if k else 0))
