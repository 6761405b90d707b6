"""Triggers that fire once, or by wall-clock time."""
from __future__ import annotations

import warnings


class OnceTrigger:
    """Fires at its first call only (and once more after a resume if asked).

    Args:
        call_on_resume: also fire at the first call after resuming from a snapshot.
    """

    def __init__(self, call_on_resume: bool = False):
        self._flag_first = True
        self._flag_resumed = call_on_resume

    @property
    def finished(self) -> bool:
        return not (self._flag_first or self._flag_resumed)

    def __call__(self, trainer) -> bool:
        fire = not self.finished
        self._flag_first = False
        self._flag_resumed = False
        return fire

    def serialize(self, serializer) -> None:
        try:
            self._flag_first = serializer('_flag_first', self._flag_first)
        except KeyError:
            warnings.warn('OnceTrigger: the flag was not saved; it is assumed to have fired')
            self._flag_first = False


class TimeTrigger:
    """Fires each time another ``period`` seconds of training have passed.

    Args:
        period: the interval in seconds (of :attr:`Trainer.elapsed_time`).
    """

    def __init__(self, period: float):
        self._period = period
        self._next_time = period

    def __call__(self, trainer) -> bool:
        if self._next_time < trainer.elapsed_time:
            self._next_time += self._period
            return True
        return False

    def serialize(self, serializer) -> None:
        self._next_time = serializer('next_time', self._next_time)
