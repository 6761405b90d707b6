"""MultiprocessIterator's workers: real processes, started lazily, always shut down."""
import gc
import multiprocessing
import multiprocessing.pool
import os
import pickle
import time

import numpy as np
import pytest

from tracegrad import iterators


class PidDataset:
    """Each example says which process read it."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return (int(i), os.getpid())


class FailingDataset:
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise KeyError(f'example {i} is broken')
        return int(i)


class SlowDataset:
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.4)
        return int(i)


def worker_pids(it):
    return [p.pid for p in it._pool._pool]


def assert_reaped(pids):
    assert multiprocessing.active_children() == []
    for pid in pids:  # kill(pid, 0) succeeds on a zombie: these must be gone entirely
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.fixture(autouse=True)
def no_children_before():
    assert multiprocessing.active_children() == []
    yield
    assert multiprocessing.active_children() == []


def test_examples_are_read_by_worker_processes():
    it = iterators.MultiprocessIterator(PidDataset(), 8, shuffle=False, n_processes=2)
    assert multiprocessing.active_children() == []  # started at the first batch
    batch = next(it)
    assert [i for i, _ in batch] == list(range(8))
    pids = {pid for _, pid in batch}
    assert os.getpid() not in pids
    assert pids <= set(worker_pids(it))
    assert len(multiprocessing.active_children()) == 2
    workers = worker_pids(it)
    it.finalize()
    assert_reaped(workers)
    it.finalize()  # more than once is fine


def test_defaults():
    it = iterators.MultiprocessIterator(list(range(3)), 2)
    assert it.n_processes == multiprocessing.cpu_count()
    assert it.n_prefetch == 1 and it.shared_mem is None and it.dataset_timeout == 30.0
    assert iterators.MultiprocessIterator(list(range(3)), 2, n_prefetch=0).n_prefetch == 1


def test_with_block_stops_workers():
    with iterators.MultiprocessIterator(list(range(10)), 3, n_processes=2) as it:
        next(it)
        workers = worker_pids(it)
    assert_reaped(workers)


def test_garbage_collection_stops_workers():
    it = iterators.MultiprocessIterator(list(range(10)), 3, n_processes=2, n_prefetch=3)
    next(it)
    workers = worker_pids(it)
    del it
    gc.collect()
    assert_reaped(workers)


def test_worker_exception_reaches_the_caller():
    it = iterators.MultiprocessIterator(FailingDataset(), 2, shuffle=False, n_processes=2,
                                        n_prefetch=2)
    assert next(it) == [0, 1]
    with pytest.raises(KeyError, match='example 3 is broken'):
        next(it)
    assert it.current_position == 2 and it.epoch_detail == pytest.approx(2 / 6)
    with pytest.raises(KeyError):  # asked again, not skipped
        next(it)
    workers = worker_pids(it)
    it.finalize()
    assert_reaped(workers)


def test_usable_again_after_finalize():
    it = iterators.MultiprocessIterator(list(range(6)), 2, shuffle=False, n_processes=1)
    assert next(it) == [0, 1]
    it.finalize()
    assert next(it) == [2, 3]  # same position, new workers
    it.finalize()


def test_timeout_warning():
    it = iterators.MultiprocessIterator(SlowDataset(), 1, shuffle=False, n_processes=1,
                                        dataset_timeout=0.1)
    with pytest.warns(iterators.MultiprocessIterator.TimeoutWarning, match='stalled'):
        assert next(it) == [0]
    it.finalize()


def test_pickle_mid_epoch():
    np.random.seed(5)
    it = iterators.MultiprocessIterator(list(range(9)), 2, n_processes=2)
    for _ in range(3):
        next(it)
    clone = pickle.loads(pickle.dumps(it))
    assert clone.epoch_detail == it.epoch_detail
    assert clone.previous_epoch_detail == it.previous_epoch_detail
    assert [next(clone) for _ in range(2)] == [next(it) for _ in range(2)]
    it.finalize()
    clone.finalize()


@pytest.mark.parametrize('n_prefetch', [1, 4])
def test_prefetches_at_most_n_prefetch_batches(n_prefetch):
    it = iterators.MultiprocessIterator(list(range(100)), 2, shuffle=False, n_processes=2,
                                        n_prefetch=n_prefetch)
    next(it)
    assert len(it._pending) == n_prefetch
    it.finalize()
    assert len(it._pending) == 0


def test_multithread_iterator_threads_stop():
    import threading

    before = threading.active_count()
    it = iterators.MultithreadIterator(list(range(10)), 3, n_threads=3)
    next(it)
    assert threading.active_count() > before
    it.finalize()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


class SleepyDataset:
    def __len__(self):
        return 12

    def __getitem__(self, i):
        time.sleep(0.05)
        return int(i)


def test_finalize_lets_batches_in_flight_arrive_before_killing_workers(monkeypatch):
    """Pool.terminate() kills workers wherever they are, and one killed while sending a
    result leaves the result pipe locked: terminate() then hangs. So finalize() waits for
    the batches being read (and then stops the workers)."""
    it = iterators.MultiprocessIterator(SleepyDataset(), 4, n_processes=2, n_prefetch=2)
    next(it)
    in_flight = list(it._in_flight)
    assert in_flight and not all(r.ready() for r in in_flight)  # batches being read
    seen = []
    terminate = multiprocessing.pool.Pool.terminate

    def checked_terminate(pool):
        seen.append(all(r.ready() for r in in_flight))
        terminate(pool)

    monkeypatch.setattr(multiprocessing.pool.Pool, 'terminate', checked_terminate)
    workers = worker_pids(it)
    it.finalize()
    assert seen == [True]
    assert_reaped(workers)
