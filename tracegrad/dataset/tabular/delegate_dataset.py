"""``DelegateDataset``: a base class for a :class:`TabularDataset` built from another."""
from __future__ import annotations

from tracegrad.dataset.tabular.tabular_dataset import TabularDataset


class DelegateDataset(TabularDataset):
    """A table that reads everything from ``dataset``: subclass it to give a table
    built with :func:`from_data` (or views) a class of its own.

    >>> from tracegrad.dataset import tabular
    >>> class Pairs(tabular.DelegateDataset):
    ...     def __init__(self):
    ...         super().__init__(tabular.from_data((('a', np.arange(3)),
    ...                                             ('b', self.name))))
    ...     def name(self, i):
    ...         return f'b[{i}]'
    >>> ds = Pairs()
    >>> len(ds), ds.keys, ds[2]
    (3, ('a', 'b'), (2, 'b[2]'))

    Args:
        dataset (TabularDataset): the table to read from.
    """

    def __init__(self, dataset: TabularDataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def keys(self) -> tuple:
        return self.dataset.keys

    @property
    def mode(self):
        return self.dataset.mode

    def get_examples(self, indices, key_indices):
        return self.dataset.get_examples(indices, key_indices)
