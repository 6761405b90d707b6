"""MicroAverage: the ratio of two summed observations over an interval."""
from __future__ import annotations

from tracegrad import reporter
from tracegrad.training import extension
from tracegrad.training.trigger import get_trigger


class MicroAverage(extension.Extension):
    """Reports ``sum(numerator) / sum(denominator)`` over each interval as ``result_key``.

    For example the accuracy over all examples (``correct / total``) rather
    than the mean of per-batch accuracies.

    Args:
        numerator_key: the observation key of the numerator.
        denominator_key: the observation key of the denominator.
        result_key: the key to report the ratio under.
        trigger: the interval.
    """

    priority = extension.PRIORITY_EDITOR

    def __init__(self, numerator_key: str, denominator_key: str, result_key: str,
                 trigger=(1, 'epoch')):
        self._trigger = get_trigger(trigger)
        self._numerator_key = numerator_key
        self._denominator_key = denominator_key
        self._result_key = result_key
        self._numerator = 0
        self._denominator = 0

    def __call__(self, trainer) -> None:
        observation = trainer.observation
        if not (self._numerator_key in observation and self._denominator_key in observation):
            return
        self._numerator += observation[self._numerator_key]
        self._denominator += observation[self._denominator_key]
        if self._trigger(trainer):
            result = float(self._numerator) / float(self._denominator)
            self._numerator = 0
            self._denominator = 0
            reporter.report({self._result_key: result})

    def serialize(self, serializer) -> None:
        self._numerator = serializer('_numerator', self._numerator)
        self._denominator = serializer('_denominator', self._denominator)
