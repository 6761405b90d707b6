"""Triggers that fire when an observed value reaches a new best."""
from __future__ import annotations

from collections.abc import Callable

from tracegrad import reporter
from tracegrad.training.trigger import get_trigger


class BestValueTrigger:
    """Fires when the mean of ``key`` over an interval beats the best so far.

    Args:
        key: the observation key to watch (e.g. ``'validation/main/loss'``).
        compare: ``compare(best, new)`` is True when ``new`` is better.
        trigger: when to compare (an interval trigger or its tuple form).
    """

    def __init__(self, key: str, compare: Callable, trigger=(1, 'epoch')):
        self._key = key
        self._best_value = None
        self._interval_trigger = get_trigger(trigger)
        self._summary = reporter.DictSummary()
        self._compare = compare

    def __call__(self, trainer) -> bool:
        observation = trainer.observation
        if self._key in observation:
            self._summary.add({self._key: observation[self._key]})
        if not self._interval_trigger(trainer):
            return False
        stats = self._summary.compute_mean()
        if self._key not in stats:
            raise KeyError(f'{type(self).__name__}: {self._key!r} was never observed; '
                           f'observed keys: {sorted(observation)}')
        value = float(stats[self._key])
        self._summary = reporter.DictSummary()
        if self._best_value is None or self._compare(self._best_value, value):
            self._best_value = value
            return True
        return False

    def serialize(self, serializer) -> None:
        self._interval_trigger.serialize(serializer['interval_trigger'])
        self._summary.serialize(serializer['summary'])
        self._best_value = serializer('best_value', self._best_value)


class MaxValueTrigger(BestValueTrigger):
    """Fires when the mean of ``key`` reaches a new maximum (e.g. an accuracy)."""

    def __init__(self, key: str, trigger=(1, 'epoch')):
        super().__init__(key, lambda best, new: new > best, trigger)


class MinValueTrigger(BestValueTrigger):
    """Fires when the mean of ``key`` reaches a new minimum (e.g. a loss)."""

    def __init__(self, key: str, trigger=(1, 'epoch')):
        super().__init__(key, lambda best, new: new < best, trigger)
