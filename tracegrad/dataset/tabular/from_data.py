"""``from_data``: a :class:`TabularDataset` from lists, arrays and functions of the row
index."""
from __future__ import annotations

from tracegrad.dataset.tabular.tabular_dataset import TabularDataset
from tracegrad.dataset.tabular.views import row_list


class _Column(TabularDataset):
    """One list or array as a table of one column."""

    mode = None

    def __init__(self, key, data):
        self._key = f'_{id(data)}' if key is None else key
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    @property
    def keys(self) -> tuple:
        return (self._key,)

    def get_examples(self, indices, key_indices):
        from tracegrad.variable import _is_array

        if indices is None:
            column = self._data
        elif _is_array(self._data) or isinstance(indices, slice):
            column = self._data[indices]
        else:
            column = [self._data[i] for i in indices]
        return (column,) * (1 if key_indices is None else len(key_indices))


class _Index(TabularDataset):
    """The row indices ``0 .. size - 1``, as one column named ``index``."""

    keys = ('index',)
    mode = None

    def __init__(self, size: int):
        self._size = size

    def __len__(self) -> int:
        return self._size

    def get_examples(self, indices, key_indices):
        return (row_list(indices, self._size),) * (1 if key_indices is None else
                                                   len(key_indices))


def _table(key, data, size) -> TabularDataset:
    if callable(data):
        if key is None:
            raise ValueError('from_data: a function needs its key(s): give (key, function)')
        if size is None:
            raise ValueError('from_data: a function of the row index needs size= (or a '
                             'list or array beside it)')
        return _Index(size).transform(key, data)
    if not hasattr(data, '__len__'):
        raise TypeError(f'from_data: expected a list, an array or a function, got '
                        f'{type(data).__name__}')
    return _Column(key, data)


def _is_keys(key) -> bool:
    return isinstance(key, str) or (isinstance(key, tuple) and bool(key)
                                    and all(isinstance(k, str) for k in key))


def from_data(data, *, size=None) -> TabularDataset:
    """Make a :class:`TabularDataset` of columns.

    Args:
        data: one column, or several in a tuple (mode :class:`tuple`) or a dict from
            keys (mode :class:`dict`). A column is a list or an array; ``(key, column)``
            names it; ``(key, function)`` or ``((key, ...), function)`` computes one or
            more columns from the row index (the function returns one value, a tuple or
            a dict).
        size (int): the number of rows, needed when no column is a list or array.

    >>> from tracegrad.dataset import tabular
    >>> tabular.from_data([0, 1, 2])[0]
    0
    >>> ds = tabular.from_data((('a', [0, 1, 2]), ('b', [3, 4, 5])))
    >>> ds.keys, ds[0]
    (('a', 'b'), (0, 3))
    >>> sorted(tabular.from_data({'a': [0, 1, 2], 'b': [3, 4, 5]})[1].items())
    [('a', 1), ('b', 4)]
    >>> tabular.from_data(('square', lambda i: i * i), size=10)[5]
    25
    """
    if isinstance(data, tuple) and len(data) == 2 and _is_keys(data[0]):
        return _table(data[0], data[1], size)
    if isinstance(data, (tuple, dict)):
        items = list(data.items()) if isinstance(data, dict) else [
            item if isinstance(item, tuple) else (None, item) for item in data]
        if not items:
            raise ValueError('from_data: no columns given')
        if size is None:
            size = next((len(d) for _, d in items if hasattr(d, '__len__')), None)
        tables = [_table(key, column, size) for key, column in items]
        joined = tables[0].join(*tables[1:])
        return joined.asdict() if isinstance(data, dict) else joined.astuple()
    return _table(None, data, size)
