"""The state of an iterator within the epochs, and the step from one batch to the next.

Shared by every iterator, so that all of them visit the same examples in the same
order, count epochs alike and save the same keys.
"""
from __future__ import annotations

import collections

import numpy

from tracegrad.dataset.iterator import Iterator
from tracegrad.iterators.order_samplers import ShuffleOrderSampler

IteratorState = collections.namedtuple(
    'IteratorState', ('current_position', 'epoch', 'is_new_epoch', 'order'))


def next_batch_indices(state, batch_size, repeat, order_sampler, dataset_len):
    """Return ``(state after the batch, indices of the batch)``; the indices are None
    once a non-repeating iterator has finished its epoch.

    A batch that crosses the end of the epoch takes the remaining examples and
    continues (when repeating) with the next epoch's order, drawn from
    ``order_sampler(order, position)``.
    """
    position, epoch, _, order = state
    if not repeat and epoch > 0:
        return state, None
    n = dataset_len if order is None else len(order)
    if repeat and n == 0:
        raise ValueError('Epoch size must be positive for an iterator that repeats.')

    def take(start, stop):
        if order is None:
            return numpy.arange(start, stop, dtype=numpy.intp)
        return order[start:stop]

    pieces = []
    end = position + batch_size
    is_new_epoch = False
    while end >= n:
        pieces.append(take(position, n))
        if order is not None:
            new_order = order_sampler(order, position)
            if len(new_order) != len(order):
                raise ValueError(
                    f'The size of order does not match the size of the previous order '
                    f'({len(new_order)} != {len(order)}).')
            order = new_order
        epoch += 1
        is_new_epoch = True
        position = 0
        if not repeat:
            end = 0
            break
        end -= n
    pieces.append(take(position, end))
    return IteratorState(end, epoch, is_new_epoch, order), numpy.concatenate(pieces)


def _choose_order_sampler(shuffle, order_sampler):
    if shuffle is None:
        return ShuffleOrderSampler() if order_sampler is None else order_sampler
    if order_sampler is not None:
        raise ValueError('`shuffle` is not `None` and a custom `order_sampler` is set. '
                         'Please set `shuffle` to `None` to use the custom order sampler.')
    return ShuffleOrderSampler() if shuffle else None


class EpochIterator(Iterator):
    """An iterator over a data set in epochs, with the attributes and the saved
    keys of Chainer's iterators (``current_position``, ``epoch``, ``is_new_epoch``,
    ``order``, ``previous_epoch_detail``; -1 stands for None in snapshots)."""

    _state = IteratorState(0, 0, False, None)
    _previous_epoch_detail = -1.

    def __init__(self, dataset, batch_size, repeat=True, shuffle=None, order_sampler=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self._repeat = repeat
        self._shuffle = shuffle
        self.order_sampler = _choose_order_sampler(shuffle, order_sampler)
        self.reset()

    @property
    def repeat(self) -> bool:
        return self._repeat

    @property
    def current_position(self) -> int:
        return self._state.current_position

    @property
    def epoch(self) -> int:
        return self._state.epoch

    @property
    def is_new_epoch(self) -> bool:
        return self._state.is_new_epoch

    @property
    def epoch_detail(self) -> float:
        return self.epoch + self.current_position / self._epoch_size

    @property
    def previous_epoch_detail(self):
        if self._previous_epoch_detail < 0:
            return None
        return self._previous_epoch_detail

    @property
    def _epoch_size(self) -> int:
        order = self._state.order
        return len(self.dataset) if order is None else len(order)

    def reset(self) -> None:
        """Go back to the start of the first epoch (with a new order when shuffling)."""
        order = None
        if self.order_sampler is not None:
            order = self.order_sampler(numpy.arange(len(self.dataset)), 0)
        self._set_state(IteratorState(0, 0, False, order))
        self._previous_epoch_detail = -1.

    def _set_state(self, state) -> None:
        self._state = state

    def _advance(self, state):
        return next_batch_indices(state, self.batch_size, self._repeat, self.order_sampler,
                                  len(self.dataset))

    def serialize(self, serializer) -> None:
        current_position = serializer('current_position', self.current_position)
        epoch = serializer('epoch', self.epoch)
        is_new_epoch = serializer('is_new_epoch', self.is_new_epoch)
        order = self._state.order
        if order is not None:
            order = numpy.array(order)  # loaded in place: never into an array still in use
            try:
                serializer('order', order)
            except KeyError:  # Chainer's MultithreadIterator saves '_order'
                serializer('_order', order)
        if hasattr(self.order_sampler, 'serialize'):
            try:
                self.order_sampler.serialize(serializer['order_sampler'])
            except KeyError:  # a snapshot without it (e.g. Chainer's)
                pass
        self._set_state(IteratorState(int(current_position), int(epoch), bool(is_new_epoch),
                                      order))
        try:
            previous = serializer('previous_epoch_detail', self._previous_epoch_detail)
        except KeyError:  # an old snapshot: infer it as Chainer does
            previous = self.epoch + (self.current_position - self.batch_size) / self._epoch_size
            previous = max(previous, 0.) if self.epoch_detail > 0 else -1.
        self._previous_epoch_detail = -1. if previous is None else float(previous)
