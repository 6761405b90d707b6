"""A stop trigger that ends training when a monitored value stops improving."""
from __future__ import annotations

import operator
import warnings

from tracegrad import reporter
from tracegrad.training.trigger import get_trigger


class EarlyStoppingTrigger:
    """Stops training after ``patience`` checks without improvement, or at ``max_trigger``.

    Args:
        check_trigger: when to compare the monitored value.
        monitor: the observation key to watch.
        patience: how many checks without improvement are tolerated.
        mode: ``'max'``, ``'min'`` or ``'auto'`` (max when the key contains
            ``'accuracy'``, else min).
        verbose: print when stopping.
        max_trigger: stop here in any case.
    """

    def __init__(self, check_trigger=(1, 'epoch'), monitor: str = 'main/loss',
                 patience: int | None = None, mode: str = 'auto', verbose: bool = False,
                 max_trigger=(100, 'epoch'), *, patients: int | None = None):
        if patience is not None and patients is not None:
            raise TypeError("EarlyStoppingTrigger: give 'patience' or its alias 'patients', "
                            "not both")
        if patience is None:
            patience = 3 if patients is None else patients
        if mode not in ('auto', 'max', 'min'):
            raise ValueError(f"EarlyStoppingTrigger: mode must be 'auto', 'max' or 'min', "
                             f"got {mode!r}")
        self.count = 0
        self.patience = patience
        self.monitor = monitor
        self.verbose = verbose
        self._max_trigger = get_trigger(max_trigger)
        self._interval_trigger = get_trigger(check_trigger)
        self._summary = reporter.DictSummary()
        maximize = mode == 'max' or (mode == 'auto' and 'accuracy' in monitor)
        self._compare = operator.gt if maximize else operator.lt
        self.best = float('-inf') if maximize else float('inf')
        if verbose:
            print(f"early stopping: operator is {'greater' if maximize else 'less'}")

    def __call__(self, trainer) -> bool:
        observation = trainer.observation
        if self.monitor in observation:
            self._summary.add({self.monitor: observation[self.monitor]})
        if self._max_trigger(trainer):
            return True
        if not self._interval_trigger(trainer):
            return False
        if self.monitor not in observation:
            warnings.warn(f'{self.monitor} is not in observation')
            return False
        current = self._summary.compute_mean()[self.monitor]
        self._summary = reporter.DictSummary()
        if self._compare(current, self.best):
            self.best = current
            self.count = 0
        else:
            self.count += 1
        if self.count >= self.patience:
            if self.verbose:
                print(f'Epoch {trainer.updater.epoch}: early stopping')
            return True
        return False

    def get_training_length(self) -> tuple:
        return self._max_trigger.get_training_length()
