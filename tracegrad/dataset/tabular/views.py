"""The views of a :class:`TabularDataset`: rows and columns (``slice``), another mode,
tables one after another (``concat``) or side by side (``join``), transformed examples,
another converter. Each reads from the tables under it only the rows and columns asked
of it."""
from __future__ import annotations

import bisect
import numbers

import numpy

from tracegrad.dataset.tabular.delegate_dataset import DelegateDataset
from tracegrad.dataset.tabular.tabular_dataset import TabularDataset


def as_array(column):
    """A column as an array on the device of its first element (lists of NumPy or CuPy
    values are stacked; arrays are returned as they are)."""
    from tracegrad import backend
    from tracegrad.variable import _is_array

    if _is_array(column):
        return column
    if len(column) == 0:
        return numpy.asarray(column)
    xp = backend.get_array_module(column[0])
    return xp.asarray(column) if xp is numpy else xp.stack([xp.asarray(v) for v in column])


def row_list(indices, length: int) -> list:
    """Rows given as None (all), a slice or a list, as a list of indices."""
    if indices is None:
        return list(range(length))
    if isinstance(indices, slice):
        return list(range(length)[indices])
    return list(indices)


def _as_rows(indices, length: int):
    """A slice view's rows: a range (from a slice) or a checked list of indices."""
    if isinstance(indices, slice):
        return range(length)[indices]
    indices = list(indices)
    if indices and all(isinstance(i, (bool, numpy.bool_)) for i in indices):
        if len(indices) != length:
            raise ValueError(f'TabularDataset.slice: {len(indices)} booleans for a table of '
                             f'{length} rows')
        return [i for i, keep in enumerate(indices) if keep]
    rows = []
    for i in indices:
        i = int(i)
        if not -length <= i < length:
            raise IndexError(f'TabularDataset.slice: row {i} is out of range for a table of '
                             f'{length} rows')
        rows.append(i % length)
    return rows


def _as_columns(keys, names: tuple) -> tuple:
    columns = []
    for key in keys:
        if isinstance(key, numbers.Integral):
            if not -len(names) <= key < len(names):
                raise IndexError(f'TabularDataset.slice: column {key} is out of range for '
                                 f'keys {names}')
            columns.append(key % len(names))
        elif key in names:
            columns.append(names.index(key))
        else:
            raise KeyError(f'TabularDataset.slice: no column {key!r}; the keys are {names}')
    return tuple(columns)


def _to_slice(rows: range) -> slice:
    stop = rows.stop if rows.stop >= 0 else None  # range(3, -1, -1) ends before row 0
    return slice(rows.start, stop, rows.step)


class _View(DelegateDataset):
    """A view over one table: length, keys, mode and converter are the table's unless
    the view says otherwise."""

    def convert(self, data):
        return self.dataset.convert(data)


class SliceHelper:
    """``dataset.slice[rows]`` and ``dataset.slice[rows, keys]``."""

    def __init__(self, dataset: TabularDataset):
        self.dataset = dataset

    def __getitem__(self, args) -> TabularDataset:
        rows, keys = args if isinstance(args, tuple) else (args, None)
        return Slice(self.dataset, rows, keys)


class Slice(_View):
    def __init__(self, dataset, rows, keys):
        super().__init__(dataset)
        self._rows = _as_rows(rows, len(dataset))
        self._single = keys is not None and not isinstance(keys, tuple)
        if self._single:
            keys = (keys,)
        self._columns = None if keys is None else _as_columns(keys, dataset.keys)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def keys(self) -> tuple:
        if self._columns is None:
            return self.dataset.keys
        return tuple(self.dataset.keys[c] for c in self._columns)

    @property
    def mode(self):
        if self._columns is None:
            return self.dataset.mode
        return None if self._single else (self.dataset.mode or tuple)

    def get_examples(self, indices, key_indices):
        if indices is None:
            rows = self._rows
        elif isinstance(indices, slice):
            rows = self._rows[indices]
        else:
            rows = [self._rows[i] for i in indices]
        columns = self._columns
        if key_indices is not None:
            columns = key_indices if columns is None else tuple(columns[k] for k in key_indices)
        return self.dataset.get_examples(
            _to_slice(rows) if isinstance(rows, range) else rows, columns)


class AsMode(_View):
    def __init__(self, dataset, mode):
        super().__init__(dataset)
        self._mode = mode

    @property
    def mode(self):
        return self._mode


class WithConverter(_View):
    def __init__(self, dataset, converter):
        super().__init__(dataset)
        self._converter = converter

    def convert(self, data):
        if isinstance(data, tuple):
            return self._converter(*data)
        if isinstance(data, dict):
            return self._converter(**data)
        return self._converter(data)


class Concat(_View):
    """The rows of several tables with the same keys; mode and converter are the first's."""

    def __init__(self, *datasets):
        super().__init__(datasets[0])
        for other in datasets[1:]:
            if other.keys != datasets[0].keys:
                raise ValueError(f'TabularDataset.concat: the tables have different keys: '
                                 f'{datasets[0].keys} and {other.keys}')
        self.datasets = datasets
        self._ends = list(numpy.cumsum([len(d) for d in datasets]))

    def __len__(self) -> int:
        return int(self._ends[-1])

    def get_examples(self, indices, key_indices):
        n_columns = len(self.keys if key_indices is None else key_indices)
        rows = row_list(indices, len(self))
        # Each table is read once, for its rows; the values are then put in order.
        located = []
        for row in rows:
            table = bisect.bisect_right(self._ends, row)
            located.append((table, row - (self._ends[table - 1] if table else 0)))
        read = {}
        for table, dataset in enumerate(self.datasets):
            local = [r for t, r in located if t == table]
            if local:
                read[table] = iter(zip(*dataset.get_examples(local, key_indices)))
        columns = tuple([] for _ in range(n_columns))
        for table, _ in located:
            for column, value in zip(columns, next(read[table])):
                column.append(value)
        return columns


class Join(_View):
    """The columns of several tables of the same length, side by side; the mode is the
    first table's that has one (else :class:`tuple`), the converter the first's."""

    def __init__(self, *datasets):
        super().__init__(datasets[0])
        keys = []
        for other in datasets:
            if len(other) != len(datasets[0]):
                raise ValueError(f'TabularDataset.join: the tables have different lengths: '
                                 f'{len(datasets[0])} and {len(other)}')
            twice = set(keys) & set(other.keys)
            if twice:
                raise ValueError(f'TabularDataset.join: keys {sorted(twice)} are in more '
                                 f'than one table')
            keys += other.keys
        self.datasets = datasets
        self._keys = tuple(keys)

    @property
    def keys(self) -> tuple:
        return self._keys

    @property
    def mode(self):
        return next((d.mode for d in self.datasets if d.mode), tuple)

    def get_examples(self, indices, key_indices):
        if key_indices is None:
            key_indices = range(len(self._keys))
        found = {}
        offset = 0
        for dataset in self.datasets:
            wanted = sorted({k - offset for k in key_indices
                             if offset <= k < offset + len(dataset.keys)})
            if wanted:
                for k, column in zip(wanted, dataset.get_examples(indices, tuple(wanted))):
                    found[offset + k] = column
            offset += len(dataset.keys)
        return tuple(found[k] for k in key_indices)


class Transform(_View):
    """Examples (or, with ``batch``, whole columns) passed through a function; the mode
    follows what it returns."""

    def __init__(self, dataset, keys, function, batch):
        super().__init__(dataset)
        self._keys = keys if isinstance(keys, tuple) else (keys,)
        self._function = function
        self._batch = batch
        self._mode = 'unknown'

    @property
    def keys(self) -> tuple:
        return self._keys

    @property
    def mode(self):
        if self._mode == 'unknown' and len(self):
            self.get_examples([0], None)
        return None if self._mode == 'unknown' else self._mode

    def _call(self, values):
        if self.dataset.mode is dict:
            return self._function(**dict(zip(self.dataset.keys, values)))
        return self._function(*values)

    def _columns_of(self, result):
        """The result's values in key order, noting (and checking) its kind."""
        kind = tuple if isinstance(result, tuple) else dict if isinstance(result, dict) \
            else None
        name = 'transform_batch' if self._batch else 'transform'
        if self._mode not in ('unknown', kind):
            raise ValueError(f'TabularDataset.{name}: the function returned a '
                             f'{type(result).__name__} after returning '
                             f'{"a single value" if self._mode is None else self._mode.__name__}'
                             f'; it must return the same kind every time')
        self._mode = kind
        values = tuple(result[k] for k in self._keys) if kind is dict else \
            result if kind is tuple else (result,)
        if len(values) != len(self._keys):
            raise ValueError(f'TabularDataset.{name}: the function returned {len(values)} '
                             f'values for the keys {self._keys}')
        return values

    def get_examples(self, indices, key_indices):
        if key_indices is None:
            key_indices = range(len(self._keys))
        inputs = self.dataset.get_examples(indices, None)
        if self._batch:
            outputs = self._columns_of(self._call(inputs))
            n_rows = len(row_list(indices, len(self)))
            if any(len(column) != n_rows for column in outputs):
                raise ValueError(f'TabularDataset.transform_batch: the function must return '
                                 f'columns of {n_rows} rows, as it was given')
            return tuple(outputs[k] for k in key_indices)
        columns = tuple([] for _ in key_indices)
        for values in zip(*inputs):
            outputs = self._columns_of(self._call(values))
            for column, k in zip(columns, key_indices):
                column.append(outputs[k])
        return columns
