"""Iterators that load the next batches on workers (threads or processes) while the
current one is in use.

The main thread decides every batch, with the same state machine as
``SerialIterator``, and hands its indices to a pool of workers ``n_prefetch``
batches ahead; the workers only read examples. The batch that ends an epoch of a
shuffling iterator is only requested by the ``next()`` that returns it, because
deciding it calls the order sampler: so the sampler (and NumPy's global random
generator behind the default one) is called at the same points of the program as
by a ``SerialIterator``, the batches are the same, and the sampler's state saved
by ``serialize`` belongs to the position saved with it.
"""
from __future__ import annotations

import collections
import multiprocessing
import time
import warnings

from tracegrad.iterators._epoch_state import EpochIterator

_POLL_SECONDS = 0.1  # how often a wait for a batch wakes up (to honour Ctrl-C, timeouts)
# How long finalize() lets batches already being read arrive before stopping the workers.
_FINALIZE_WAIT_SECONDS = 10.0


class PrefetchIterator(EpochIterator):
    """Base class: subclasses provide ``_make_pool()`` and ``_map_async(pool, indices)``
    (an ``AsyncResult`` of the list of examples)."""

    n_prefetch = 1
    dataset_timeout = None
    _pool = None
    _pending = ()  # (AsyncResult, or None for the end, state after that batch)
    _in_flight = ()  # every AsyncResult requested and not yet known to be ready
    _ahead_state = None

    class TimeoutWarning(RuntimeWarning):
        """Issued when loading one batch takes longer than ``dataset_timeout`` seconds."""

    def _set_state(self, state) -> None:
        self._state = state
        self._discard_pending()

    def _discard_pending(self) -> None:
        # Results already requested still arrive, but nobody waits for them.
        self._pending = collections.deque()
        self._ahead_state = self._state

    def __next__(self):
        if not self._pending:
            self._request()
        result, state = self._pending.popleft()
        try:
            batch = None if result is None else self._wait(result)
        except BaseException:
            self._discard_pending()  # the next call asks again for the same batch
            raise
        self._previous_epoch_detail = self.epoch_detail
        self._state = state
        if batch is None:
            raise StopIteration
        self._request_ahead()
        return batch

    next = __next__

    def _request_ahead(self) -> None:
        while len(self._pending) < self.n_prefetch:
            if self._pending and self._pending[-1][0] is None:
                return  # the end of a non-repeating iterator is already queued
            position, _, _, order = self._ahead_state
            if order is not None and position + self.batch_size >= len(order):
                return  # ends an epoch: drawn when asked for (see the module docstring)
            self._request()

    def _request(self) -> None:
        state, indices = self._advance(self._ahead_state)
        if indices is None:
            result = None
        else:
            if self._pool is None:
                self._pool = self._make_pool()
            result = self._map_async(self._pool, indices)
            self._in_flight = [r for r in self._in_flight if not r.ready()] + [result]
        self._pending.append((result, state))
        self._ahead_state = state

    def _wait(self, result):
        start = time.monotonic()
        warned = False
        while True:
            try:
                return result.get(_POLL_SECONDS)
            except multiprocessing.TimeoutError:
                waited = time.monotonic() - start
                if not warned and self.dataset_timeout is not None \
                        and waited > self.dataset_timeout:
                    warnings.warn(
                        f'{type(self).__name__}: a batch has been loading for more than '
                        f'{self.dataset_timeout} s; the dataset may be stalled (a worker '
                        f'blocked or killed, e.g. out of memory, or a thread deadlocked '
                        f'after fork: try OMP_NUM_THREADS=1 or MultithreadIterator)',
                        self.TimeoutWarning, stacklevel=3)
                    warned = True

    def finalize(self) -> None:
        """Stop the workers and drop the batches loaded ahead. The iterator keeps its
        position; using it again starts new workers."""
        pool, self._pool = self._pool, None
        in_flight, self._in_flight = self._in_flight, ()
        if self._pending:
            self._discard_pending()
        if pool is not None:
            # Pool.terminate() kills the workers wherever they are: a worker killed while
            # sending a result holds the result pipe's lock forever, and terminate() then
            # waits for that lock forever (it happened in CI). So the batches being read
            # are let arrive first (a bounded wait: a stalled data set must not hang here).
            deadline = time.monotonic() + _FINALIZE_WAIT_SECONDS
            for result in in_flight:
                result.wait(max(0.0, deadline - time.monotonic()))
            pool.terminate()
            pool.join()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop('_pool', None)
        state.pop('_pending', None)
        state.pop('_in_flight', None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._discard_pending()

    def _make_pool(self):
        raise NotImplementedError

    def _map_async(self, pool, indices):
        raise NotImplementedError
