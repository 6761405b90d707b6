"""``TabularDataset``: a data set whose examples all have the same named columns, read a
block of rows and columns at a time."""
from __future__ import annotations

from tracegrad.dataset.dataset_mixin import DatasetMixin


class TabularDataset(DatasetMixin):
    """A data set of rows with the same named columns (``keys``).

    An example is a tuple of its columns (``mode`` is :class:`tuple`), a dict from keys
    to columns (``mode`` is :class:`dict`), or, with one column, the value alone
    (``mode`` is None). A subclass provides ``__len__``, ``keys``, ``mode`` and
    :meth:`get_examples`, which reads a block of rows and columns at once; views
    (:attr:`slice`, :meth:`concat`, :meth:`join`, :meth:`transform`...) are
    TabularDatasets too, and read only what is asked of them.

    >>> class Squares(chainer.dataset.TabularDataset):
    ...     table = np.array([[0, 0], [1, 1], [2, 4], [3, 9]])
    ...     keys, mode = ('x', 'square'), tuple
    ...     def __len__(self):
    ...         return 4
    ...     def get_examples(self, indices, key_indices):
    ...         rows = self.table if indices is None else self.table[indices]
    ...         return tuple(rows[:, k].tolist() for k in (key_indices or (0, 1)))
    >>> ds = Squares()
    >>> ds[3], ds.asdict()[2]
    ((3, 9), {'x': 2, 'square': 4})
    >>> view = ds.slice[[3, 1], ('square', 'x')]
    >>> view.keys, view[0], view.fetch()
    (('square', 'x'), (9, 3), ([9, 1], [3, 1]))
    """

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def keys(self) -> tuple:
        """The names of the columns."""
        raise NotImplementedError

    @property
    def mode(self):
        """How an example is returned: :class:`tuple`, :class:`dict` or None (one column)."""
        raise NotImplementedError

    def get_examples(self, indices, key_indices) -> tuple:
        """Read a block of the table.

        Args:
            indices (slice or list of int or None): the rows (None: all).
            key_indices (tuple of int or None): the columns, as positions in ``keys``
                (None: all).

        Returns:
            tuple: one list or array per requested column, holding the requested rows.
        """
        raise NotImplementedError

    @property
    def slice(self):
        """Rows and columns of the table as a view: ``dataset.slice[rows]`` or
        ``dataset.slice[rows, keys]``, where rows are a slice, a list of indices or a
        list of booleans (one per row) and keys a key or position, or a tuple of them
        (a single key gives a view of mode None)."""
        from tracegrad.dataset.tabular.views import SliceHelper

        return SliceHelper(self)

    def fetch(self):
        """Read the whole table, by columns: a tuple or dict of lists/arrays, or (mode
        None) the one column."""
        return self._shaped(self.get_examples(None, None))

    def convert(self, data):
        """Turn data read by :meth:`fetch` into arrays, one per column (replace this
        with :meth:`with_converter`)."""
        from tracegrad.dataset.tabular.views import as_array

        if isinstance(data, tuple):
            return tuple(as_array(column) for column in data)
        if isinstance(data, dict):
            return {key: as_array(column) for key, column in data.items()}
        return as_array(data)

    def astuple(self) -> TabularDataset:
        """This table as a view of mode :class:`tuple`."""
        from tracegrad.dataset.tabular.views import AsMode

        return AsMode(self, tuple)

    def asdict(self) -> TabularDataset:
        """This table as a view of mode :class:`dict`."""
        from tracegrad.dataset.tabular.views import AsMode

        return AsMode(self, dict)

    def concat(self, *datasets) -> TabularDataset:
        """This table's rows followed by those of ``datasets`` (all with the same keys)."""
        from tracegrad.dataset.tabular.views import Concat

        return Concat(self, *datasets)

    def join(self, *datasets) -> TabularDataset:
        """This table's columns followed by those of ``datasets`` (all with the same
        length, no key twice)."""
        from tracegrad.dataset.tabular.views import Join

        return Join(self, *datasets)

    def transform(self, keys, transform) -> TabularDataset:
        """A view whose examples are ``transform(example)``, with columns ``keys``.

        ``transform`` receives the example's columns as arguments (keyword arguments
        for mode :class:`dict`) and returns a tuple, a dict or one value; what it
        returns sets the view's mode, and must stay the same kind.
        """
        from tracegrad.dataset.tabular.views import Transform

        return Transform(self, keys, transform, batch=False)

    def transform_batch(self, keys, transform_batch) -> TabularDataset:
        """As :meth:`transform`, but ``transform_batch`` receives whole columns of the
        rows read and returns whole columns (as many rows as it was given)."""
        from tracegrad.dataset.tabular.views import Transform

        return Transform(self, keys, transform_batch, batch=True)

    def with_converter(self, converter) -> TabularDataset:
        """A view whose :meth:`convert` is ``converter`` (called with the columns as
        arguments, or keyword arguments for mode :class:`dict`)."""
        from tracegrad.dataset.tabular.views import WithConverter

        return WithConverter(self, converter)

    def get_example(self, i):
        return self._shaped(tuple(column[0] for column in self.get_examples([i], None)))

    def __iter__(self):
        return (self.get_example(i) for i in range(len(self)))

    def _shaped(self, columns):
        """Columns (or one example's values) in this table's mode."""
        if self.mode is tuple:
            return columns
        if self.mode is dict:
            return dict(zip(self.keys, columns))
        return columns[0]
