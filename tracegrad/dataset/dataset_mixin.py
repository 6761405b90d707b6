"""``DatasetMixin``: indexing by int, slice, list or array from one ``get_example`` method."""
from __future__ import annotations

import numpy


class DatasetMixin:
    """Implements ``dataset[index]`` from :meth:`get_example` and :meth:`__len__`.

    An int returns one example; a slice, a list or a one-dimensional integer array
    returns a list of examples.

    >>> class Squares(chainer.dataset.DatasetMixin):
    ...     def __len__(self):
    ...         return 6
    ...     def get_example(self, i):
    ...         return i * i
    >>> ds = Squares()
    >>> ds[2], ds[1:3], ds[[4, 0]], ds[np.arange(3)]
    (4, [1, 4], [16, 0], [0, 1, 4])
    """

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.get_example(i) for i in range(*index.indices(len(self)))]
        if isinstance(index, (list, numpy.ndarray)):
            return [self.get_example(i) for i in index]
        return self.get_example(index)

    def __len__(self) -> int:
        raise NotImplementedError

    def get_example(self, i):
        """Return the ``i``-th example; raise :class:`IndexError` when ``i`` is out of range."""
        raise NotImplementedError
