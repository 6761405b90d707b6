"""Reporter: collect named values (losses, accuracies) observed during a step.

Links call :func:`report` with a dict of values and themselves as the observer;
the current :class:`Reporter` prefixes each key with the observer's registered
name (``'main/loss'``) and stores it in its current observation dict. Trainers
and evaluators make a reporter current with ``with reporter.scope(obs):``.
:class:`Summary` and :class:`DictSummary` average the observed scalars.
"""
from __future__ import annotations

import collections
import contextlib
import copy
import json
import numbers
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy

from tracegrad import backend
from tracegrad.configuration import config
from tracegrad.variable import Variable

_thread_local = threading.local()


def _get_reporters() -> list:
    try:
        return _thread_local.reporters
    except AttributeError:
        reporters = _thread_local.reporters = []
        return reporters


class Reporter:
    """Stores reported values, named by their observers, in :attr:`observation`.

    >>> reporter = tracegrad.reporter.Reporter()
    >>> observer = object()
    >>> reporter.add_observer('my_observer', observer)
    >>> observation = {}
    >>> with reporter.scope(observation):
    ...     reporter.report({'x': 1}, observer)
    >>> observation
    {'my_observer/x': 1}

    The module-level :func:`report` writes to the current reporter:

    >>> from tracegrad.reporter import report, report_scope
    >>> reporter = tracegrad.reporter.Reporter()
    >>> observation = {}
    >>> with reporter:
    ...     with report_scope(observation):
    ...         report({'x': 1})
    >>> observation
    {'x': 1}

    Attributes:
        observation: the dict that reported values are written to.
    """

    def __init__(self) -> None:
        self._observer_names: dict[int, str] = {}
        self.observation: dict = {}

    def __enter__(self) -> None:
        """Make this reporter the current one."""
        _get_reporters().append(self)

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        _get_reporters().pop()

    @contextlib.contextmanager
    def scope(self, observation: dict) -> Iterator[None]:
        """Make this reporter current and write reports into ``observation`` within
        the block."""
        old = self.observation
        self.observation = observation
        self.__enter__()
        try:
            yield
        finally:
            self.__exit__(None, None, None)
            self.observation = old

    def add_observer(self, name: str, observer: Any) -> None:
        """Name values reported with ``observer`` (matched by identity) ``name/...``."""
        self._observer_names[id(observer)] = name

    def add_observers(self, prefix: str, observers) -> None:
        """Register ``(name, observer)`` pairs, e.g. ``link.namedlinks()``, with
        ``prefix`` before each name."""
        for name, observer in observers:
            self._observer_names[id(observer)] = prefix + name

    def report(self, values: dict, observer: Any = None) -> None:
        """Store ``values``; keys are prefixed by the observer's name if one is given.

        A reported Variable is stored as a copy cut from the graph, unless
        ``config.keep_graph_on_report`` is True.
        """
        if not config.keep_graph_on_report:
            values = {k: copy.copy(v) if isinstance(v, Variable) else v
                      for k, v in values.items()}
        if observer is None:
            self.observation.update(values)
            return
        name = self._observer_names.get(id(observer))
        if name is None:
            raise KeyError('Given observer is not registered to the reporter.')
        for key, value in values.items():
            self.observation[f'{name}/{key}'] = value


def get_current_reporter() -> Reporter:
    """The current reporter (the innermost ``with reporter:``)."""
    reporters = _get_reporters()
    if not reporters:
        raise RuntimeError('get_current_reporter: no reporter is current; '
                           'use `with reporter:` or `with reporter.scope(obs):`')
    return reporters[-1]


def report(values: dict, observer: Any = None) -> None:
    """Report ``values`` to the current reporter; does nothing when there is none.

    Args:
        values: a dict of observed values.
        observer: the object whose registered name prefixes the keys.
    """
    reporters = _get_reporters()
    if reporters:
        reporters[-1].report(values, observer)


@contextlib.contextmanager
def report_scope(observation: dict) -> Iterator[None]:
    """Within the block, the current reporter writes into ``observation``."""
    current = get_current_reporter()
    old = current.observation
    current.observation = observation
    try:
        yield
    finally:
        current.observation = old


class Summary:
    """Running weighted mean and standard deviation of scalars.

    >>> s = tracegrad.reporter.Summary()
    >>> s.add(1.0); s.add(3.0)
    >>> float(s.compute_mean())
    2.0
    """

    def __init__(self) -> None:
        self._x = 0.0
        self._x2 = 0.0
        self._n = 0

    def add(self, value, weight=1) -> None:
        """Add a scalar (Python, NumPy, or a 0-d array on any device) with ``weight``."""
        if isinstance(value, Variable):
            value = value.array
        if isinstance(weight, Variable):
            weight = weight.array
        with backend.using_device(backend.get_device_from_array(value)):
            self._x += weight * value
            self._x2 += weight * value * value
            self._n += weight

    def compute_mean(self):
        """The weighted mean of the added values."""
        with backend.using_device(backend.get_device_from_array(self._x)):
            return self._x / self._n

    def make_statistics(self):
        """Return ``(mean, std)`` of the added values."""
        x, n = self._x, self._n
        xp = backend.get_array_module(x)
        with backend.using_device(backend.get_device_from_array(x)):
            mean = x / n
            var = self._x2 / n - mean * mean
            return mean, xp.sqrt(var)

    def serialize(self, serializer) -> None:
        try:
            self._x = serializer('_x', self._x)
            self._x2 = serializer('_x2', self._x2)
            self._n = serializer('_n', self._n)
        except KeyError:
            warnings.warn('The previous statistics are not saved.')


def _is_scalar(v) -> bool:
    """A number or a 0-d array (strings and other objects are not summarized)."""
    return isinstance(v, (numbers.Number, numpy.generic)) or getattr(v, 'ndim', -1) == 0


class DictSummary:
    """Running means and deviations of the scalar entries of dicts.

    Only scalars, 0-d arrays and Variables holding 0-d arrays are summarized; a
    ``(value, weight)`` tuple adds ``value`` with that weight.

    >>> s = tracegrad.reporter.DictSummary()
    >>> s.add({'loss': 1.0, 'name': 'skipped'}); s.add({'loss': (4.0, 2)})
    >>> {k: float(v) for k, v in s.compute_mean().items()}
    {'loss': 3.0}
    """

    def __init__(self) -> None:
        self._summaries: dict[str, Summary] = collections.defaultdict(Summary)

    def add(self, d: dict) -> None:
        """Add the scalar entries of ``d``."""
        for key, value in d.items():
            weight = 1
            if isinstance(value, tuple):
                value, weight = value
                if isinstance(weight, Variable):
                    weight = weight.array
                if not _is_scalar(weight):
                    raise ValueError(f'Given weight to {key} was not scalar.')
            if isinstance(value, Variable):
                value = value.array
            if _is_scalar(value):
                self._summaries[key].add(value, weight=weight)

    def compute_mean(self) -> dict:
        """A dict of the mean of each entry."""
        return {name: summary.compute_mean() for name, summary in self._summaries.items()}

    def make_statistics(self) -> dict:
        """A dict with each entry's mean under its key and its std under ``key + '.std'``."""
        stats = {}
        for name, summary in self._summaries.items():
            mean, std = summary.make_statistics()
            stats[name] = mean
            stats[name + '.std'] = std
        return stats

    def serialize(self, serializer) -> None:
        if _is_writer(serializer):
            names = list(self._summaries.keys())
            serializer('_names', json.dumps(names))
            for index, name in enumerate(names):
                self._summaries[name].serialize(serializer['_summaries'][str(index)])
            return
        self._summaries.clear()
        try:
            names = json.loads(serializer('_names', ''))
        except KeyError:
            warnings.warn('The names of statistics are not saved.')
            return
        for index, name in enumerate(names):
            self._summaries[name].serialize(serializer['_summaries'][str(index)])


def _is_writer(serializer) -> bool:
    """True for a saving serializer, False for a loading one."""
    from tracegrad.serializer import Serializer

    return isinstance(serializer, Serializer)
