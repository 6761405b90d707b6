"""``ConcatenatedDataset``: data sets one after the other."""
from __future__ import annotations

from tracegrad.dataset.dataset_mixin import DatasetMixin


class ConcatenatedDataset(DatasetMixin):
    """The examples of the first data set, then those of the second, and so on.

    >>> ds = chainer.datasets.ConcatenatedDataset([1, 2], [3, 4, 5])
    >>> len(ds), ds[2], ds[[0, 4]]
    (5, 3, [1, 5])

    Args:
        datasets: the data sets to concatenate.
    """

    def __init__(self, *datasets):
        self._datasets = datasets

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self._datasets)

    def get_example(self, i):
        if i < 0:
            raise IndexError(f'ConcatenatedDataset: index {i} out of range (negative)')
        j = i
        for dataset in self._datasets:
            if j < len(dataset):
                return dataset[j]
            j -= len(dataset)
        raise IndexError(f'ConcatenatedDataset: index {i} out of range (length {len(self)})')
