"""Triggers: callables ``trigger(trainer) -> bool`` deciding when something happens."""
from tracegrad.training.triggers.early_stopping_trigger import EarlyStoppingTrigger
from tracegrad.training.triggers.interval_trigger import IntervalTrigger, ManualScheduleTrigger
from tracegrad.training.triggers.minmax_value_trigger import (
    BestValueTrigger,
    MaxValueTrigger,
    MinValueTrigger,
)
from tracegrad.training.triggers.once_trigger import OnceTrigger, TimeTrigger

__all__ = ['BestValueTrigger', 'EarlyStoppingTrigger', 'IntervalTrigger',
           'ManualScheduleTrigger', 'MaxValueTrigger', 'MinValueTrigger', 'OnceTrigger',
           'TimeTrigger']
