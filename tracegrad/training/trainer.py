"""The Trainer: the training loop that runs an updater and its extensions."""
from __future__ import annotations

import collections
import os
import sys
import time
import traceback
from typing import Any

import numpy

from tracegrad import reporter as reporter_module
from tracegrad.serializer import Serializer
from tracegrad.training import extension as extension_module
from tracegrad.training.trigger import get_trigger


class _ExtensionEntry:
    def __init__(self, extension, priority: int, trigger, call_before_training: bool):
        self.extension = extension
        self.priority = priority
        self.trigger = trigger
        self.call_before_training = call_before_training


class Trainer:
    """Runs the training loop: ``updater.update()`` then the triggered extensions,
    until ``stop_trigger`` fires.

    Each iteration gets a fresh :attr:`observation` dict; the links of every
    optimizer's target are registered to :attr:`reporter` as observers, named
    ``<optimizer name><link path>`` (so the model's loss is ``'main/loss'``).

    The whole state (updater, iterators, optimizers, models, extensions and
    their triggers, elapsed time) is saved by :meth:`serialize`, so
    ``serializers.load_npz(snapshot, trainer)`` resumes a run where it stopped.
    The global NumPy random state is saved too, so shuffling and dropout after a
    resume draw what the uninterrupted run would have drawn.

    Args:
        updater: the :class:`~tracegrad.training.Updater`.
        stop_trigger: when to stop; a ``(period, unit)`` tuple is an interval
            trigger; None never stops.
        out: the output directory of extensions (logs, snapshots, plots).
        extensions: extensions to register with their default settings.
    """

    def __init__(self, updater, stop_trigger=None, out: str = 'result', extensions=None):
        self.updater = updater
        self.stop_trigger = get_trigger(stop_trigger)
        self.observation: dict = {}
        self.out = out
        reporter = reporter_module.Reporter()
        for name, optimizer in updater.get_all_optimizers().items():
            reporter.add_observer(name, optimizer.target)
            reporter.add_observers(name, optimizer.target.namedlinks(skipself=True))
        self.reporter = reporter
        self._done = False
        self._extensions: collections.OrderedDict[str, _ExtensionEntry] = \
            collections.OrderedDict()
        self._start_at: float | None = None
        self._snapshot_elapsed_time = 0.0
        self._final_elapsed_time: float | None = None
        updater.connect_trainer(self)
        for ext in extensions or ():
            self.extend(ext)

    @property
    def is_before_training(self) -> bool:
        """True until the first update has been made."""
        return self.updater.iteration == 0

    @property
    def elapsed_time(self) -> float:
        """Seconds spent training, including the runs before a resume."""
        if self._done:
            return self._final_elapsed_time
        if self._start_at is None:
            raise RuntimeError('Trainer.elapsed_time: training has not been started yet')
        return time.perf_counter() - self._start_at + self._snapshot_elapsed_time

    def extend(self, extension, name: str | None = None, trigger=None,
               priority: int | None = None, *, call_before_training: bool = False) -> None:
        """Register an extension.

        Args:
            extension: the extension (an :class:`Extension` or a function).
            name: its name; defaults to ``extension.name``, ``extension.default_name``
                or the function's name. A repeated name gets a ``_1``, ``_2``...
                suffix.
            trigger: when to call it; defaults to ``extension.trigger`` or every
                iteration. A ``(period, unit)`` tuple is an interval trigger.
            priority: higher runs earlier in an iteration; defaults to
                ``extension.priority`` or :data:`PRIORITY_READER`.
            call_before_training: also call it once before the first update.
        """
        if name is None:
            for attr in ('name', 'default_name', '__name__'):
                name = getattr(extension, attr, None)
                if name is not None:
                    break
            else:
                raise TypeError(f'Trainer.extend: no name given for the extension '
                                f'{extension!r}, and it has no name attribute')
        if name == 'training':
            raise ValueError('Trainer.extend: the name "training" is reserved')
        if trigger is None:
            trigger = getattr(extension, 'trigger', (1, 'iteration'))
        trigger = get_trigger(trigger)
        if priority is None:
            priority = getattr(extension, 'priority', extension_module.PRIORITY_READER)
        unique = name
        ordinal = 0
        while unique in self._extensions:
            ordinal += 1
            unique = f'{name}_{ordinal}'
        extension.name = unique
        self._extensions[unique] = _ExtensionEntry(extension, priority, trigger,
                                                   call_before_training)

    def get_extension(self, name: str):
        """Return the extension registered as ``name``."""
        entry = self._extensions.get(name)
        if entry is None:
            raise ValueError(f'extension {name} not found; registered: '
                             f'{list(self._extensions)}')
        return entry.extension

    def run(self, show_loop_exception_msg: bool = True) -> None:
        """Run the training loop until the stop trigger fires (once per trainer)."""
        if self._done:
            raise RuntimeError('Trainer.run: cannot run the training loop twice')
        os.makedirs(self.out, exist_ok=True)
        # sorted() is stable: equal priorities keep the registration order.
        extensions = sorted(self._extensions.items(), key=lambda item: -item[1].priority)
        self._start_at = time.perf_counter()
        # Extensions that restore the trainer's state (snapshot(autoload=True)) are
        # initialized first, so the others initialize from the restored state.
        for _, entry in sorted(extensions,
                               key=lambda item: not getattr(item[1].extension,
                                                            'restores_state', False)):
            initializer = getattr(entry.extension, 'initialize', None)
            if initializer and not getattr(entry.trigger, 'finished', False):
                initializer(self)

        update = self.updater.update
        reporter = self.reporter
        stop_trigger = self.stop_trigger
        if self.is_before_training:
            self.observation = {}
            with reporter.scope(self.observation):
                for _, entry in extensions:
                    if entry.call_before_training:
                        entry.extension(self)
        try:
            while not stop_trigger(self):
                self.observation = {}
                with reporter.scope(self.observation):
                    update()
                    for _, entry in extensions:
                        if entry.trigger(self):
                            entry.extension(self)
        except Exception as e:
            if show_loop_exception_msg:
                sys.stderr.write(f'Exception in main training loop: {e}\n'
                                 'Traceback (most recent call last):\n')
                traceback.print_tb(sys.exc_info()[2])
                sys.stderr.write('Will finalize trainer extensions and updater before '
                                 'reraising the exception.\n')
            for _, entry in extensions:
                handler = getattr(entry.extension, 'on_error', None)
                if handler:
                    try:
                        handler(self, e, sys.exc_info()[2])
                    except Exception as handler_error:  # noqa: BLE001 - reported, then the loop's error is raised
                        sys.stderr.write(f'Exception in error handler: {handler_error}\n')
                        traceback.print_exc()
            raise
        finally:
            for _, entry in extensions:
                finalize = getattr(entry.extension, 'finalize', None)
                if finalize:
                    finalize()
            self.updater.finalize()
        self._final_elapsed_time = self.elapsed_time
        self._done = True

    def serialize(self, serializer) -> None:
        """Save or load the updater, the stop trigger, every extension and its trigger,
        the elapsed time and NumPy's global random state."""
        self.updater.serialize(serializer['updater'])
        if hasattr(self.stop_trigger, 'serialize'):
            self.stop_trigger.serialize(serializer['stop_trigger'])
        extensions = serializer['extensions']
        triggers = serializer['extension_triggers']
        for name, entry in self._extensions.items():
            if hasattr(entry.extension, 'serialize'):
                entry.extension.serialize(extensions[name])
            if hasattr(entry.trigger, 'serialize'):
                entry.trigger.serialize(triggers[name])
        if isinstance(serializer, Serializer):
            serializer('_snapshot_elapsed_time', self.elapsed_time)
        else:
            self._snapshot_elapsed_time = serializer('_snapshot_elapsed_time', 0.0)
        _serialize_random_state(serializer['random_state'])


def _serialize_random_state(serializer) -> None:
    """Save or load ``numpy.random``'s global MT19937 state (absent in Chainer's
    snapshots: then the state is left as it is)."""
    if isinstance(serializer, Serializer):
        _, key, pos, has_gauss, cached = numpy.random.get_state()
        serializer('key', key)
        serializer('pos', numpy.asarray(pos))
        serializer('has_gauss', numpy.asarray(has_gauss))
        serializer('cached_gaussian', numpy.asarray(cached))
        return
    try:
        key = serializer('key', None)
        values: Any = [serializer(name, None) for name in ('pos', 'has_gauss',
                                                           'cached_gaussian')]
    except KeyError:
        return
    if key is None:
        return
    pos, has_gauss, cached = (numpy.asarray(v).item() for v in values)
    numpy.random.set_state(('MT19937', numpy.asarray(key, dtype=numpy.uint32), int(pos),
                            int(has_gauss), float(cached)))
