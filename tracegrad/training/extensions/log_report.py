"""LogReport: average the observations over an interval and keep them as a JSON log."""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable

from tracegrad import reporter
from tracegrad.serializer import Serializer
from tracegrad.serializers.atomic_file import atomic_write
from tracegrad.training import extension
from tracegrad.training.trigger import get_trigger


class LogReport(extension.Extension):
    """Averages the observed scalars over each interval and appends them to :attr:`log`.

    Every entry also has ``epoch``, ``iteration`` and ``elapsed_time``. The
    whole log is rewritten (atomically) as JSON to ``<out>/<filename>`` after
    each interval. :class:`PrintReport` and :class:`PlotReport` read it.

    Args:
        keys: the observation keys to average (all scalars when None).
        trigger: the interval, ``(1, 'epoch')`` by default.
        postprocess: called with each entry (a dict) before it is stored.
        filename: the log file name (``'log'``); it may use entry keys as
            ``str.format`` fields; None writes no file.
        log_name: Chainer's older name of ``filename``.
    """

    def __init__(self, keys=None, trigger=(1, 'epoch'), postprocess: Callable | None = None,
                 filename: str | None = None, *, log_name: str = 'log'):
        self._keys = keys
        self._trigger = get_trigger(trigger)
        self._postprocess = postprocess
        self._log: list[dict] = []
        self._log_name = log_name if filename is None else filename
        self._summary = reporter.DictSummary()

    def __call__(self, trainer) -> None:
        observation = trainer.observation
        if self._keys is None:
            self._summary.add(observation)
        else:
            self._summary.add({k: observation[k] for k in self._keys if k in observation})
        if not (trainer.is_before_training or self._trigger(trainer)):
            return
        entry = {name: float(value) for name, value in self._summary.compute_mean().items()}
        updater = trainer.updater
        entry['epoch'] = updater.epoch
        entry['iteration'] = updater.iteration
        entry['elapsed_time'] = trainer.elapsed_time
        if self._postprocess is not None:
            self._postprocess(entry)
        self._log.append(entry)
        if self._log_name is not None:
            path = os.path.join(trainer.out, self._log_name.format(**entry))
            with atomic_write(path, 'w') as f:
                json.dump(self._log, f, indent=4)
        self._summary = reporter.DictSummary()

    @property
    def log(self) -> list[dict]:
        """The entries so far (a list of dicts)."""
        return self._log

    def serialize(self, serializer) -> None:
        if hasattr(self._trigger, 'serialize'):
            self._trigger.serialize(serializer['_trigger'])
        try:
            self._summary.serialize(serializer['_summary'])
        except KeyError:
            warnings.warn('LogReport: the statistics of the current interval were not saved')
        if isinstance(serializer, Serializer):
            serializer('_log', json.dumps(self._log))
        else:
            log = serializer('_log', '')
            if log:  # empty while a deserializer only checks the entries
                self._log = json.loads(log)
