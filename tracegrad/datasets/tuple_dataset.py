"""``TupleDataset``: equal-length data sets zipped into a data set of tuples."""
from __future__ import annotations


class TupleDataset:
    """A data set whose ``i``-th example is the tuple of the ``i``-th examples of ``datasets``.

    Like :func:`zip` over data sets that support ``len`` and indexing. A slice
    returns a list of tuples; any other index (an int, or an index array when every
    data set is an array) returns one tuple of what each data set returns.

    >>> ds = chainer.datasets.TupleDataset([8, 0, 5, 1], [3, 1, 7, 4])
    >>> len(ds), ds[0], ds[1:3]
    (4, (8, 3), [(0, 1), (5, 7)])

    Args:
        datasets: data sets of one length.
    """

    def __init__(self, *datasets):
        if not datasets:
            raise ValueError('TupleDataset: no datasets are given')
        length = len(datasets[0])
        for i, dataset in enumerate(datasets):
            if len(dataset) != length:
                raise ValueError(
                    f'TupleDataset: dataset of the index {i} has a wrong length '
                    f'({len(dataset)}; the first has {length})')
        self._datasets = datasets
        self._length = length

    def __getitem__(self, index):
        parts = [dataset[index] for dataset in self._datasets]
        if isinstance(index, slice):
            return list(zip(*parts))
        return tuple(parts)

    def __len__(self) -> int:
        return self._length
