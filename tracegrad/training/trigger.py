"""``get_trigger``: turn the short forms users write into trigger objects."""
from __future__ import annotations


def _never_fire(trainer) -> bool:
    return False


def get_trigger(trigger):
    """Return a trigger for ``trigger``.

    A callable is returned as is, None becomes a trigger that never fires, and
    a ``(period, unit)`` tuple becomes an :class:`IntervalTrigger`.

    >>> training.get_trigger((1, 'epoch'))
    <...IntervalTrigger object at ...>
    """
    if callable(trigger):
        return trigger
    if trigger is None:
        return _never_fire
    from tracegrad.training.triggers.interval_trigger import IntervalTrigger

    try:
        period, unit = trigger
    except (TypeError, ValueError):
        raise TypeError(f"get_trigger: expected a callable, None or a (period, unit) tuple "
                        f"such as (1, 'epoch'), got {trigger!r}") from None
    return IntervalTrigger(period, unit)
