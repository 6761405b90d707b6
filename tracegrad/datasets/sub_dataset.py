"""``SubDataset`` and the splits built from it (train/validation, n-way, cross validation)."""
from __future__ import annotations

import warnings

import numpy

from tracegrad.dataset.dataset_mixin import DatasetMixin


class SubDataset(DatasetMixin):
    """The examples ``start`` to ``finish`` (exclusive) of ``dataset``, optionally permuted.

    With ``order``, the ``i``-th example is ``dataset[order[start + i]]``; without,
    ``dataset[start + i]``. A negative ``i`` counts from ``finish``.

    >>> sub = chainer.datasets.SubDataset([10, 11, 12, 13, 14], 1, 4)
    >>> len(sub), sub[0], sub[-1], sub[:]
    (3, 11, 13, [11, 12, 13])

    Args:
        dataset: the base data set.
        start (int): first index of the interval.
        finish (int): index after the last one.
        order (sequence of ints): a permutation of the base data set's indexes, or None.
    """

    def __init__(self, dataset, start, finish, order=None):
        if start < 0 or finish > len(dataset):
            raise ValueError(
                f'SubDataset: subset [{start}, {finish}) overruns the base dataset '
                f'of length {len(dataset)}')
        if order is not None and len(order) != len(dataset):
            raise ValueError(
                f'SubDataset: order option must have the same length as the base dataset: '
                f'len(order) = {len(order)} while len(dataset) = {len(dataset)}')
        self._dataset = dataset
        self._start = start
        self._finish = finish
        self._size = finish - start
        self._order = order

    def __len__(self) -> int:
        return self._size

    def get_example(self, i):
        if not -self._size <= i < self._size:
            raise IndexError(f'SubDataset: index {i} out of range (length {self._size})')
        index = self._start + i if i >= 0 else self._finish + i
        if self._order is not None:
            index = self._order[index]
        return self._dataset[index]


def split_dataset(dataset, split_at, order=None):
    """Split ``dataset`` into two :class:`SubDataset`\\ s at ``split_at``.

    Args:
        dataset: the data set to split.
        split_at (int): size of the first part.
        order (sequence of ints): a permutation of the indexes, or None.

    Returns:
        tuple: the examples ``order[:split_at]`` and ``order[split_at:]``.

    >>> a, b = chainer.datasets.split_dataset([1, 2, 3, 4, 5], 2)
    >>> a[:], b[:]
    ([1, 2], [3, 4, 5])
    """
    if not isinstance(split_at, (int, numpy.integer)) or isinstance(split_at, bool):
        raise TypeError(f'split_dataset: split_at must be int, got {type(split_at)} instead')
    if split_at < 0:
        raise ValueError(f'split_dataset: split_at must be non-negative, got {split_at}')
    n = len(dataset)
    if split_at > n:
        raise ValueError(f'split_dataset: split_at ({split_at}) exceeds the dataset size ({n})')
    return SubDataset(dataset, 0, split_at, order), SubDataset(dataset, split_at, n, order)


def split_dataset_random(dataset, first_size, seed=None):
    """Split ``dataset`` into two :class:`SubDataset`\\ s of random disjoint examples.

    Args:
        dataset: the data set to split.
        first_size (int): size of the first part.
        seed (int): seed of the permutation (``numpy.random.RandomState(seed)``); the
            same seed always gives the same split. None: a different split each time.

    Returns:
        tuple: ``first_size`` random examples, and the others.
    """
    order = numpy.random.RandomState(seed).permutation(len(dataset))
    return split_dataset(dataset, first_size, order)


def split_dataset_n(dataset, n, order=None):
    """Split ``dataset`` into ``n`` :class:`SubDataset`\\ s of ``len(dataset) // n`` examples
    (a remainder is left out)."""
    size = len(dataset) // n
    return [SubDataset(dataset, size * i, size * (i + 1), order) for i in range(n)]


def split_dataset_n_random(dataset, n, seed=None):
    """Like :func:`split_dataset_n` over a random permutation seeded with ``seed``."""
    order = numpy.random.RandomState(seed).permutation(len(dataset))
    return split_dataset_n(dataset, n, order)


def get_cross_validation_datasets(dataset, n_folds=None, order=None, **kwargs):
    """Return ``n_folds`` (train, test) splits whose test parts are disjoint and cover
    ``dataset``; test sizes differ by at most one.

    Args:
        dataset: the data set to split.
        n_folds (int): number of splits (``n_fold`` is accepted, deprecated).
        order (sequence of ints): a permutation of the indexes, or None.
    """
    if 'n_fold' in kwargs:
        warnings.warn('Argument `n_fold` is deprecated. Please use `n_folds` instead',
                      DeprecationWarning)
        n_folds = kwargs['n_fold']
    order = numpy.arange(len(dataset)) if order is None else numpy.array(order)
    whole = len(dataset)
    borders = [whole * i // n_folds for i in range(n_folds + 1)]
    test_sizes = [borders[i + 1] - borders[i] for i in range(n_folds)]
    splits = []
    for test_size in reversed(test_sizes):
        splits.append(split_dataset(dataset, whole - test_size, order))
        order = numpy.roll(order, test_size)  # the next fold's test part moves to the end
    return splits


def get_cross_validation_datasets_random(dataset, n_folds, seed=None, **kwargs):
    """Like :func:`get_cross_validation_datasets` over a random permutation seeded with
    ``seed``."""
    if 'n_fold' in kwargs:
        warnings.warn('Argument `n_fold` is deprecated. Please use `n_folds` instead',
                      DeprecationWarning)
        n_folds = kwargs['n_fold']
    order = numpy.random.RandomState(seed).permutation(len(dataset))
    return get_cross_validation_datasets(dataset, n_folds, order)
