"""Order samplers: what order an iterator visits a data set in, epoch after epoch."""
from __future__ import annotations

import numpy

_global_random = numpy.random.mtrand._rand  # the RandomState behind numpy.random.*


class OrderSampler:
    """Base class of order samplers.

    An iterator calls ``sampler(current_order, current_position)`` at the start and
    at the end of every epoch and visits the examples in the returned order (a 1-D
    integer array of the same length as ``current_order``).
    """

    def __call__(self, current_order, current_position):
        raise NotImplementedError


class ShuffleOrderSampler(OrderSampler):
    """A fresh random permutation for every epoch.

    ``SerialIterator(dataset, n, shuffle=True)`` and
    ``SerialIterator(dataset, n, order_sampler=ShuffleOrderSampler())`` are the same.

    Args:
        random_state (numpy.random.RandomState): the generator of the permutations;
            by default NumPy's global one, so ``numpy.random.seed`` fixes the orders.
            A private generator's state is saved and restored with the iterator
            (:meth:`serialize`), so a resumed iterator shuffles the later epochs as
            the saved one would have.

    >>> sampler = chainer.iterators.ShuffleOrderSampler(np.random.RandomState(0))
    >>> sampler(np.arange(5), 0)
    array([2, 0, 1, 3, 4])
    """

    def __init__(self, random_state=None):
        self._random = _global_random if random_state is None else random_state

    def __call__(self, current_order, current_position):
        return self._random.permutation(len(current_order))

    def serialize(self, serializer) -> None:
        """Save or load the state of a private random generator (nothing for NumPy's global one)."""
        if self._random is _global_random:
            return
        name, keys, pos, has_gauss, cached_gaussian = self._random.get_state()
        keys = numpy.array(keys)
        serializer('keys', keys)  # a deserializer fills ``keys`` in place
        pos = serializer('pos', int(pos))
        has_gauss = serializer('has_gauss', int(has_gauss))
        cached_gaussian = serializer('cached_gaussian', float(cached_gaussian))
        self._random.set_state((name, keys, int(pos), int(has_gauss), float(cached_gaussian)))
