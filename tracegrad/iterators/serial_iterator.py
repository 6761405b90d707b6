"""``SerialIterator``: batches read one example after the other in the calling thread."""
from __future__ import annotations

from tracegrad.iterators._epoch_state import EpochIterator


class SerialIterator(EpochIterator):
    """Iterate over ``dataset`` in batches of ``batch_size`` examples, in the calling thread.

    Each epoch visits every example once, in index order or in a random order
    drawn at the start of the epoch. A batch that crosses the end of an epoch is
    completed with the first examples of the next one (when repeating). Snapshots
    save -1 in place of None.

    Args:
        dataset: the data set (supports ``len`` and indexing by int).
        batch_size (int): number of examples in a batch.
        repeat (bool): loop over the data set forever; else stop (raise
            StopIteration) after one epoch, whose last batch may be smaller.
        shuffle (bool): shuffle every epoch (True), keep index order (False), or
            None: shuffle unless ``order_sampler`` is given.
        order_sampler (callable): ``order_sampler(current_order, current_position)``
            returns the next epoch's order; only with ``shuffle=None``.

    >>> it = chainer.iterators.SerialIterator([1, 2, 3, 4, 5], 2, shuffle=False)
    >>> next(it), next(it), next(it), it.epoch, it.is_new_epoch
    ([1, 2], [3, 4], [5, 1], 1, True)
    >>> it.epoch_detail
    1.2
    """

    def __next__(self):
        state, indices = self._advance(self._state)
        self._previous_epoch_detail = self.epoch_detail
        self._state = state
        if indices is None:
            raise StopIteration
        return [self.dataset[i] for i in indices]

    next = __next__
