"""Extensions that change an optimizer hyperparameter (usually ``lr``) on a schedule.

Each is called at its trigger (every iteration by default); its ``_t`` counts
the calls, and ``value(t)`` is written to ``optimizer.<attr>``.
"""
from __future__ import annotations

import math

import numpy

from tracegrad.training import extension


class _ValueShift(extension.Extension):
    """Common machinery: the call count, the last value and where it is written."""

    def __init__(self, attr: str, init=None, optimizer=None):
        self._attr = attr
        self._init = init
        self._optimizer = optimizer
        self._t = 0
        self._last_value = None

    def _get_optimizer(self, trainer):
        return self._optimizer or trainer.updater.get_optimizer('main')

    def initialize(self, trainer) -> None:
        optimizer = self._get_optimizer(trainer)
        if self._init is None:
            self._init = getattr(optimizer, self._attr)
        self._update_value(optimizer, self._init if self._last_value is None
                           else self._last_value)

    def __call__(self, trainer) -> None:
        self._t += 1
        self._update_value(self._get_optimizer(trainer), self._compute_value(self._t))

    def _compute_value(self, t: int):
        raise NotImplementedError

    def _update_value(self, optimizer, value) -> None:
        setattr(optimizer, self._attr, value)
        self._last_value = value

    def serialize(self, serializer) -> None:
        self._t = serializer('_t', self._t)
        self._last_value = serializer('_last_value', self._last_value)
        if isinstance(self._last_value, numpy.ndarray):
            self._last_value = self._last_value.item()


def _clip_toward(value, target, increasing: bool):
    """Stop ``value`` at ``target`` once it passes it in its direction of change."""
    if target is None:
        return value
    if increasing:
        return min(value, target)
    return max(value, target)


class ExponentialShift(_ValueShift):
    """``value = init * rate ** t``, stopped at ``target``.

    Args:
        attr: the optimizer attribute, e.g. ``'lr'``.
        rate: the factor per call (>= 0).
        init: the starting value (the optimizer's current value when None).
        target: the value not to go beyond.
        optimizer: the optimizer (the updater's ``'main'`` when None).
    """

    def __init__(self, attr: str, rate: float, init=None, target=None, optimizer=None):
        if rate < 0:
            raise ValueError(f'ExponentialShift: rate must be non-negative, got {rate}')
        super().__init__(attr, init, optimizer)
        self._rate = rate
        self._target = target

    def _compute_value(self, t: int):
        return _clip_toward(self._init * self._rate ** t, self._target, self._rate > 1)


class StepShift(_ValueShift):
    """``value = init * gamma ** floor(t / step)``, stopped at ``target``.

    Args:
        attr: the optimizer attribute.
        gamma: the factor applied every ``step`` calls.
        step: the number of calls between changes.
        init: the starting value.
        target: the value not to go beyond.
        optimizer: the optimizer.
    """

    def __init__(self, attr: str, gamma: float, step: int, init=None, target=None,
                 optimizer=None):
        super().__init__(attr, init, optimizer)
        self._gamma = gamma
        self._step = step
        self._target = target

    def _compute_value(self, t: int):
        value = self._init * self._gamma ** math.floor(t / self._step)
        return _clip_toward(value, self._target, self._gamma > 1)


class InverseShift(_ValueShift):
    """``value = init * (1 + gamma * t) ** -power``, stopped at ``target``.

    Args:
        attr: the optimizer attribute.
        gamma: the rate (>= 0).
        power: the exponent.
        init: the starting value.
        target: the value not to go beyond.
        optimizer: the optimizer.
    """

    def __init__(self, attr: str, gamma: float, power: float, init=None, target=None,
                 optimizer=None):
        if gamma < 0:
            raise ValueError(f'InverseShift: gamma must be non-negative, got {gamma}')
        super().__init__(attr, init, optimizer)
        self._gamma = gamma
        self._power = power
        self._target = target

    def _compute_value(self, t: int):
        value = self._init * (1 + self._gamma * t) ** (-self._power)
        return _clip_toward(value, self._target, self._power < 0)


class PolynomialShift(_ValueShift):
    """``value = init * max(1 - t / max_count, 0) ** rate``, stopped at ``target``.

    Args:
        attr: the optimizer attribute.
        rate: the exponent.
        max_count: the number of calls after which the value reaches zero.
        init: the starting value.
        target: the value not to go beyond.
        optimizer: the optimizer.
    """

    def __init__(self, attr: str, rate: float, max_count: int, init=None, target=None,
                 optimizer=None):
        super().__init__(attr, init, optimizer)
        self._rate = rate
        self._max_count = max_count
        self._target = target

    def _compute_value(self, t: int):
        value = self._init * max(1 - t / self._max_count, 0) ** self._rate
        return _clip_toward(value, self._target, self._rate <= 0)


class LinearShift(_ValueShift):
    """Moves the value linearly from ``value_range[0]`` to ``value_range[1]`` between
    calls ``time_range[0]`` and ``time_range[1]``.

    Args:
        attr: the optimizer attribute.
        value_range: ``(start, end)`` values.
        time_range: ``(t1, t2)`` call counts.
        optimizer: the optimizer.
    """

    def __init__(self, attr: str, value_range, time_range, optimizer=None):
        super().__init__(attr, None, optimizer)
        self._value_range = value_range
        self._time_range = time_range

    def initialize(self, trainer) -> None:
        value = self._compute_value(self._t) if self._last_value is None else self._last_value
        self._update_value(self._get_optimizer(trainer), value)

    def _compute_value(self, t: int):
        t1, t2 = self._time_range
        v1, v2 = self._value_range
        if t <= t1:
            return v1
        if t >= t2:
            return v2
        return v1 + (t - t1) / (t2 - t1) * (v2 - v1)


class MultistepShift(extension.Extension):
    """Multiplies ``init`` by ``gamma`` at each call count in ``step_value``.

    Args:
        attr: the optimizer attribute.
        gamma: the factor.
        step_value: the call counts at which the value changes.
        init: the starting value (the optimizer's current value when None).
        optimizer: the optimizer.
    """

    def __init__(self, attr: str, gamma: float, step_value, init, optimizer=None):
        self._attr = attr
        self._gamma = gamma
        self._step_value = list(step_value)
        self._init = init
        self._optimizer = optimizer
        self._current_step = 0
        self._t = 0

    def initialize(self, trainer) -> None:
        optimizer = self._optimizer or trainer.updater.get_optimizer('main')
        if self._init is None:
            self._init = getattr(optimizer, self._attr)
        else:
            setattr(optimizer, self._attr, self._init)

    def __call__(self, trainer) -> None:
        self._t += 1
        optimizer = self._optimizer or trainer.updater.get_optimizer('main')
        if (self._current_step < len(self._step_value)
                and self._t >= self._step_value[self._current_step]):
            self._current_step += 1
        setattr(optimizer, self._attr, self._init * self._gamma ** self._current_step)

    def serialize(self, serializer) -> None:
        self._t = serializer('_t', self._t)
        self._current_step = serializer('_current_step', self._current_step)


class WarmupShift(extension.Extension):
    """Moves the value linearly from ``warmup_start`` to ``init`` over the first
    ``warmup_iter`` calls, then leaves it.

    Args:
        attr: the optimizer attribute.
        warmup_start: the value at the start (the optimizer's when None).
        warmup_iter: the number of warm-up calls.
        init: the value reached at the end of the warm-up.
        optimizer: the optimizer.
    """

    def __init__(self, attr: str, warmup_start, warmup_iter: int, init, optimizer=None):
        self._attr = attr
        self._warmup_start = warmup_start
        self._warmup_iter = warmup_iter
        self._init = init
        self._optimizer = optimizer
        self._t = 0

    def initialize(self, trainer) -> None:
        optimizer = self._optimizer or trainer.updater.get_optimizer('main')
        if self._warmup_start is None:
            self._warmup_start = getattr(optimizer, self._attr)
        else:
            setattr(optimizer, self._attr, self._warmup_start)

    def __call__(self, trainer) -> None:
        self._t += 1
        if self._t <= self._warmup_iter:
            optimizer = self._optimizer or trainer.updater.get_optimizer('main')
            value = (self._t * self._init
                     + (self._warmup_iter - self._t) * self._warmup_start) / self._warmup_iter
            setattr(optimizer, self._attr, value)

    def serialize(self, serializer) -> None:
        self._t = serializer('_t', self._t)
