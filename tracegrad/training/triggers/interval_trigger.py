"""Triggers that fire at fixed points of training progress."""
from __future__ import annotations

import warnings

_UNITS = ('epoch', 'iteration')


def _check_unit(name: str, unit: str) -> None:
    if unit not in _UNITS:
        raise ValueError(f"{name}: unit must be 'epoch' or 'iteration', got {unit!r}")


class _ProgressTrigger:
    """Remembers the progress seen at the previous call, so a trigger fires when a
    point is crossed even if it is not called at every iteration."""

    def __init__(self, unit: str):
        self.unit = unit
        self._previous_iteration = 0
        self._previous_epoch_detail = 0.0

    def _progress(self, updater) -> tuple[float, float]:
        """Return ``(previous, current)`` progress in this trigger's unit and remember
        the current one."""
        if self.unit == 'epoch':
            current = updater.epoch_detail
            previous = self._previous_epoch_detail
            if previous < 0:  # unknown after loading an old snapshot
                previous = updater.previous_epoch_detail
        else:
            current = updater.iteration
            previous = self._previous_iteration
            if previous < 0:
                previous = current - 1
        self._previous_iteration = updater.iteration
        if hasattr(updater, 'epoch_detail'):
            self._previous_epoch_detail = updater.epoch_detail
        return previous, current

    def serialize(self, serializer) -> None:
        name = type(self).__name__
        try:
            self._previous_iteration = serializer('previous_iteration',
                                                  self._previous_iteration)
        except KeyError:
            warnings.warn(f'{name}: the previous iteration was not saved; it is guessed '
                          f'from the current one')
            self._previous_iteration = -1
        try:
            self._previous_epoch_detail = serializer('previous_epoch_detail',
                                                     self._previous_epoch_detail)
        except KeyError:
            warnings.warn(f"{name}: the previous epoch_detail was not saved; the updater's "
                          f'previous_epoch_detail is used')
            self._previous_epoch_detail = -1.0


class IntervalTrigger(_ProgressTrigger):
    """Fires every ``period`` epochs or iterations.

    Args:
        period: the interval (an int, or a float for fractional epochs).
        unit: ``'epoch'`` or ``'iteration'``.

    >>> trigger = training.triggers.IntervalTrigger(2, 'epoch')
    >>> trigger.get_training_length()
    (2, 'epoch')
    """

    def __init__(self, period, unit: str):
        _check_unit('IntervalTrigger', unit)
        super().__init__(unit)
        self.period = period
        self.count = 0

    def __call__(self, trainer) -> bool:
        previous, current = self._progress(trainer.updater)
        if self.unit == 'epoch':
            self.count = current // self.period
        return previous // self.period != current // self.period

    def get_training_length(self) -> tuple:
        return self.period, self.unit

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.period}, '{self.unit}')"


class ManualScheduleTrigger(_ProgressTrigger):
    """Fires at the given epochs or iterations.

    Args:
        points: a point or a list of points.
        unit: ``'epoch'`` or ``'iteration'``.

    Attributes:
        finished: True once the last point has passed.
    """

    def __init__(self, points, unit: str):
        _check_unit('ManualScheduleTrigger', unit)
        super().__init__(unit)
        self.points = points if isinstance(points, list) else [points]
        self.finished = False

    def __call__(self, trainer) -> bool:
        previous, current = self._progress(trainer.updater)
        fire = any(previous < p <= current for p in self.points)
        if current >= max(self.points) and (fire or self._finished_unknown):
            self.finished = True
        self._finished_unknown = False
        return fire

    _finished_unknown = False

    def serialize(self, serializer) -> None:
        super().serialize(serializer)
        try:
            self.finished = serializer('finished', self.finished)
        except KeyError:
            warnings.warn('ManualScheduleTrigger: the finished flag was not saved; it is '
                          'recomputed at the next call')
            self.finished = False
            self._finished_unknown = True
