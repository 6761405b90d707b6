"""``DictDataset``: equal-length data sets combined into a data set of dicts."""
from __future__ import annotations


class DictDataset:
    """A data set whose ``i``-th example is ``{key: dataset[i]}`` over the keyword arguments.

    >>> ds = chainer.datasets.DictDataset(x=[1, 2, 3], t=[0, 1, 0])
    >>> ds[1] == {'x': 2, 't': 1}, len(ds)
    (True, 3)

    Args:
        datasets: data sets of one length, by name.
    """

    def __init__(self, **datasets):
        if not datasets:
            raise ValueError('DictDataset: no datasets are given')
        length = None
        for key, dataset in datasets.items():
            if length is None:
                length = len(dataset)
            elif len(dataset) != length:
                raise ValueError(
                    f'DictDataset: dataset length conflicts at "{key}" '
                    f'({len(dataset)} != {length})')
        self._datasets = datasets
        self._length = length

    def __getitem__(self, index):
        parts = {key: dataset[index] for key, dataset in self._datasets.items()}
        if isinstance(index, slice):
            keys = list(parts)
            return [dict(zip(keys, values)) for values in zip(*parts.values())]
        return parts

    def __len__(self) -> int:
        return self._length
