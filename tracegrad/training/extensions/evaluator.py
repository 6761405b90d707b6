"""Evaluator: run the model over a validation set and report the mean of what it reports."""
from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

from tracegrad import backend
from tracegrad import reporter as reporter_module
from tracegrad.configuration import no_backprop_mode, using_config
from tracegrad.dataset import convert
from tracegrad.training import extension


class Evaluator(extension.Extension):
    """Evaluates the target link on every batch of an iterator, once per epoch.

    The target's reports are averaged over the batches and reported with the
    extension's name as the prefix, e.g. ``'validation/main/loss'`` and
    ``'validation/main/accuracy'``. Evaluation runs with ``config.train =
    False`` and without building graphs. The iterator is reset before each
    evaluation, so it should be created with ``repeat=False``.

    Args:
        iterator: the iterator, or a dict of them (``'main'`` is used).
        target: the link, or a dict of links (``'main'`` is evaluated).
        converter: turns a batch into arrays.
        device: where batches are sent.
        eval_hook: called with the evaluator before each evaluation.
        eval_func: called on each batch instead of the target.
        progress_bar: print a progress bar of the evaluation.
    """

    trigger = (1, 'epoch')
    default_name = 'validation'
    priority = extension.PRIORITY_WRITER
    name = None

    def __init__(self, iterator, target, converter=convert.concat_examples, device=None,
                 eval_hook: Callable | None = None, eval_func: Callable | None = None, *,
                 progress_bar: bool = False):
        if device is not None:
            device = backend.get_device(device)
        if not isinstance(iterator, dict):
            iterator = {'main': iterator}
        if not isinstance(target, dict):
            target = {'main': target}
        self._iterators = iterator
        self._targets = target
        self.converter = converter
        self.device = device
        self.eval_hook = eval_hook
        self.eval_func = eval_func
        self._progress_bar = progress_bar
        for key, it in iterator.items():
            if getattr(it, 'repeat', False):
                warnings.warn(f'Evaluator: the iterator {key!r} repeats (repeat=True), so the '
                              f'evaluation may never end; create it with repeat=False')

    def get_iterator(self, name: str):
        return self._iterators[name]

    def get_all_iterators(self) -> dict:
        return dict(self._iterators)

    def get_target(self, name: str):
        return self._targets[name]

    def get_all_targets(self) -> dict:
        return dict(self._targets)

    def __call__(self, trainer=None) -> dict:
        """Evaluate, report the result to the current reporter and return it."""
        reporter = reporter_module.Reporter()
        prefix = '' if self.name is None else self.name + '/'
        for name, target in self._targets.items():
            reporter.add_observer(prefix + name, target)
            reporter.add_observers(prefix + name, target.namedlinks(skipself=True))
        with reporter, using_config('train', False):
            result = self.evaluate()
        reporter_module.report(result)
        return result

    def evaluate(self) -> dict:
        """Run over the whole iterator and return the mean of every reported value."""
        iterator = self._iterators['main']
        eval_func = self.eval_func or self._targets['main']
        if self.eval_hook:
            self.eval_hook(self)
        if hasattr(iterator, 'reset'):
            iterator.reset()
            it = iterator
        else:
            it = copy.copy(iterator)
        summary = reporter_module.DictSummary()
        for n_batches, batch in enumerate(it, 1):
            observation: dict = {}
            with reporter_module.report_scope(observation):
                in_arrays = convert._call_converter(self.converter, batch, self.device)
                with no_backprop_mode():
                    if isinstance(in_arrays, tuple):
                        eval_func(*in_arrays)
                    elif isinstance(in_arrays, dict):
                        eval_func(**in_arrays)
                    else:
                        eval_func(in_arrays)
            summary.add(observation)
            if self._progress_bar:
                print(f'\rvalidation: {n_batches} batches '
                      f'({getattr(it, "epoch_detail", 0.0):6.2%})', end='', flush=True)
        if self._progress_bar:
            print()
        return summary.compute_mean()

    def finalize(self) -> None:
        for iterator in self._iterators.values():
            finalize = getattr(iterator, 'finalize', None)
            if finalize is not None:
                finalize()
