"""``TransformDataset``: a data set whose examples pass through a function."""
from __future__ import annotations

from collections.abc import Callable

from tracegrad.dataset.dataset_mixin import DatasetMixin


class TransformDataset(DatasetMixin):
    """A view of ``dataset`` returning ``transform(dataset[i])`` as its ``i``-th example.

    ``transform`` gets the base data set's example itself, so it should build new
    arrays (``img = img - 0.5``) rather than modify it (``img -= 0.5`` would change
    the base data set).

    >>> ds = chainer.datasets.TransformDataset([1, 2, 3], lambda x: x * 10)
    >>> len(ds), ds[2], ds[:2]
    (3, 30, [10, 20])

    Args:
        dataset: the base data set.
        transform: called on each example of ``dataset``.
    """

    def __init__(self, dataset, transform: Callable):
        self._dataset = dataset
        self._transform = transform

    def __len__(self) -> int:
        return len(self._dataset)

    def get_example(self, i):
        return self._transform(self._dataset[i])
