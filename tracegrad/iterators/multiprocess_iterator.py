"""``MultiprocessIterator``: examples read by worker processes."""
from __future__ import annotations

import multiprocessing
import signal

from tracegrad.iterators._prefetch import PrefetchIterator


class MultiprocessIterator(PrefetchIterator):
    """Like :class:`SerialIterator`, with examples read by worker processes and
    ``n_prefetch`` batches loaded ahead while the current one is in use.

    The workers are a :class:`multiprocessing.Pool`, started at the first ``next()``;
    each gets the data set once when it starts (inherited on fork, pickled with
    other start methods), reads the examples of its share of each batch and sends
    them back pickled through the pool's pipes. The order of the examples and the
    batches are decided in the main process, so they are those of a
    :class:`SerialIterator` with the same order sampler. The workers ignore SIGINT
    (Ctrl-C stops the main process, which stops them) and are terminated by
    :meth:`finalize`, by leaving a ``with`` block, and when the iterator is garbage
    collected.

    Args:
        dataset: the data set; its examples must be picklable.
        batch_size (int): number of examples in a batch.
        repeat (bool): loop forever; else stop after one epoch.
        shuffle (bool): as in :class:`SerialIterator`.
        n_processes (int): number of worker processes (default: the number of CPUs).
        n_prefetch (int): number of batches loaded ahead (at least 1).
        shared_mem (int): accepted for compatibility with Chainer; examples travel
            through pipes, so it has no effect.
        order_sampler (callable): as in :class:`SerialIterator`.
        dataset_timeout (float): issue :class:`MultiprocessIterator.TimeoutWarning`
            when a batch takes longer than this many seconds (None: never).
        maxtasksperchild (int): replace a worker after this many tasks (None: never).
    """

    def __init__(self, dataset, batch_size, repeat=True, shuffle=None, n_processes=None,
                 n_prefetch=1, shared_mem=None, order_sampler=None, dataset_timeout=30.0,
                 maxtasksperchild=None):
        self.shuffle = shuffle
        self.n_processes = n_processes or multiprocessing.cpu_count()
        self.n_prefetch = max(n_prefetch, 1)
        self.shared_mem = shared_mem
        self.dataset_timeout = dataset_timeout
        self.maxtasksperchild = maxtasksperchild
        super().__init__(dataset, batch_size, repeat, shuffle, order_sampler)

    def _make_pool(self):
        return multiprocessing.Pool(self.n_processes, _worker_setup, (self.dataset,),
                                    self.maxtasksperchild)

    def _map_async(self, pool, indices):
        chunk = -(-len(indices) // self.n_processes)  # one share of the batch per worker
        return pool.map_async(_read_example, indices, max(chunk, 1))


# A worker process holds the data set in a global: pool tasks must be picklable,
# so they name the example and the worker looks it up.
_worker_dataset = None


def _worker_setup(dataset):
    global _worker_dataset
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_dataset = dataset


def _read_example(index):
    return _worker_dataset[index]
