"""``PickleDataset``: any Python objects, pickled one after another into one file and
read back one at a time (``PickleDatasetWriter``, ``open_pickle_dataset``,
``open_pickle_dataset_writer``)."""
from __future__ import annotations

import os
import pickle
import threading

from tracegrad.dataset.dataset_mixin import DatasetMixin


class PickleDatasetWriter:
    """Writes examples for a :class:`PickleDataset`: each :meth:`write` appends one pickle.

    Args:
        writer: a binary file-like object with ``write`` (and ``close``).
        protocol (int): the :mod:`pickle` protocol.
    """

    def __init__(self, writer, protocol=pickle.HIGHEST_PROTOCOL):
        self._writer = writer
        self._protocol = protocol

    def write(self, x) -> None:
        """Append the example ``x``."""
        pickle.dump(x, self._writer, protocol=self._protocol)

    def flush(self) -> None:
        if hasattr(self._writer, 'flush'):
            self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PickleDataset(DatasetMixin):
    """The examples written by a :class:`PickleDatasetWriter`, read back by index.

    Opening scans the file once for where each pickle starts; ``dataset[i]`` then
    seeks there and unpickles that example alone, so data sets larger than memory
    work. Unpickling runs code the file names: open only files you trust.

    Args:
        reader: a seekable binary file-like object.

    >>> with chainer.datasets.open_pickle_dataset_writer('data.pkl') as writer:
    ...     writer.write((np.array([1, 2]), 0))
    ...     writer.write((np.array([3, 4]), 1))
    >>> with chainer.datasets.open_pickle_dataset('data.pkl') as ds:
    ...     len(ds), ds[1]
    (2, (array([3, 4]), 1))
    """

    def __init__(self, reader):
        if not (hasattr(reader, 'seekable') and reader.seekable()):
            raise ValueError('PickleDataset: reader must be a seekable binary file '
                             f'(random access), got {type(reader).__name__}')
        self._reader = reader
        self._path = None  # set by open_pickle_dataset: the file is reopened after a fork
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._starts = []
        reader.seek(0)
        while True:
            start = reader.tell()
            try:
                pickle.load(reader)
            except EOFError:
                break
            self._starts.append(start)

    def _current_reader(self):
        # A forked child shares the parent's file offset: give it a file of its own.
        if self._path is not None and self._pid != os.getpid():
            self._reader = open(self._path, 'rb')  # noqa: SIM115
            self._pid = os.getpid()
        return self._reader

    def __getstate__(self):
        state = self.__dict__.copy()
        del state['_lock']
        if self._path is not None:
            del state['_reader']
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()
        if self._path is not None:
            self._reader = open(self._path, 'rb')  # noqa: SIM115
            self._pid = os.getpid()

    def close(self) -> None:
        """Close the reader; the data set can no longer be read."""
        with self._lock:
            self._reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self) -> int:
        return len(self._starts)

    def get_example(self, i):
        with self._lock:
            reader = self._current_reader()
            reader.seek(self._starts[i])
            return pickle.load(reader)


def open_pickle_dataset(path) -> PickleDataset:
    """Open the :class:`PickleDataset` stored at ``path`` (close it, or use ``with``)."""
    dataset = PickleDataset(open(path, 'rb'))  # noqa: SIM115
    dataset._path = os.fspath(path)
    return dataset


def open_pickle_dataset_writer(path, protocol=pickle.HIGHEST_PROTOCOL) -> PickleDatasetWriter:
    """Open a :class:`PickleDatasetWriter` writing to ``path`` (close it, or use ``with``)."""
    return PickleDatasetWriter(open(path, 'wb'), protocol)
