"""The base class of dataset iterators (Chainer's ``chainer.dataset.Iterator``)."""
from __future__ import annotations


class Iterator:
    """Base class of dataset iterators: each ``next()`` returns a minibatch (a list of examples).

    An implementation provides ``batch_size``, ``epoch`` (completed sweeps over the
    dataset), ``epoch_detail`` (the epoch as a float, e.g. 2.5 halfway through the third
    sweep), ``previous_epoch_detail`` (``epoch_detail`` before the last ``next()``, None
    before the first) and ``is_new_epoch`` (True when the last ``next()`` finished a
    sweep), and saves what changes while iterating in :meth:`serialize`, so that a
    resumed iterator continues where the saved one stopped.

    An iterator is also a context manager; leaving the ``with`` block calls
    :meth:`finalize`, as does garbage collection.
    """

    def __del__(self):
        self.finalize()

    def __iter__(self):
        return self

    def __next__(self):
        """Return the next batch; raise :class:`StopIteration` at the end (when not repeating)."""
        raise NotImplementedError

    def next(self):
        """Same as ``next(iterator)``."""
        return self.__next__()

    def finalize(self) -> None:
        """Release resources (worker processes, threads). May be called more than once."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.finalize()

    def serialize(self, serializer) -> None:
        """Save or load the iteration state (not the settings given to the constructor)."""
