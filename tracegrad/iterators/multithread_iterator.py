"""``MultithreadIterator``: examples read by worker threads."""
from __future__ import annotations

from multiprocessing.pool import ThreadPool

from tracegrad.iterators._prefetch import PrefetchIterator


class MultithreadIterator(PrefetchIterator):
    """Like :class:`SerialIterator`, with examples read by ``n_threads`` threads and the
    next batch loaded while the current one is in use.

    Threads suit data sets whose reading releases the GIL (files, image decoding in
    C). The batches are those a :class:`SerialIterator` with the same order sampler
    gives.

    Args:
        dataset: the data set.
        batch_size (int): number of examples in a batch.
        repeat (bool): loop forever; else stop after one epoch.
        shuffle (bool): as in :class:`SerialIterator`.
        n_threads (int): number of worker threads.
        order_sampler (callable): as in :class:`SerialIterator`.
    """

    def __init__(self, dataset, batch_size, repeat=True, shuffle=None, n_threads=1,
                 order_sampler=None):
        self.n_threads = n_threads
        super().__init__(dataset, batch_size, repeat, shuffle, order_sampler)

    def _make_pool(self):
        return ThreadPool(self.n_threads)

    def _map_async(self, pool, indices):
        return pool.map_async(self.dataset.__getitem__, indices)
