"""StandardUpdater: fetch a batch, convert it, and let the optimizer update the model."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from tracegrad import backend
from tracegrad.dataset import convert
from tracegrad.training.updater import Updater


class StandardUpdater(Updater):
    """The usual updater: one batch from the ``'main'`` iterator, one optimizer step.

    Each :meth:`update` converts the next batch with ``converter`` and calls
    ``optimizer.update(loss_func, *in_arrays)`` (``**in_arrays`` for a dict),
    so ``loss_func`` (default: the optimizer's target) computes and reports the
    loss, the grads are cleared, backpropagated and applied.

    Args:
        iterator: a dataset iterator, or a dict of them (``'main'`` is trained on).
        optimizer: an optimizer, or a dict of them (``'main'`` is updated).
        converter: turns a list of examples into arrays
            (:func:`~tracegrad.dataset.concat_examples`).
        device: moves the models there and sends the batches there.
        loss_func: the loss function (default: the target link of the
            ``'main'`` optimizer).
        loss_scale: a fixed loss scale for every optimizer (float16 training).
        auto_new_epoch: call ``optimizer.new_epoch(auto=True)`` at each epoch end.
        input_device: where batches go when it differs from ``device``.
        compile: True to run each step (loss, cleargrads, backward, update)
            through :func:`tracegrad.compile`, traced once and reused; a dict is
            passed as keyword arguments to :func:`tracegrad.compile` (e.g.
            ``{'backend': 'reference'}``). The backend is ``'cuda'`` when
            ``device`` is a GPU and ``'c'`` otherwise, unless given.
    """

    def __init__(self, iterator, optimizer, converter=convert.concat_examples, device=None,
                 loss_func: Callable | None = None, loss_scale: float | None = None,
                 auto_new_epoch: bool = True, *, input_device=None,
                 compile: bool | dict = False):
        if device is not None:
            device = backend.get_device(device)
        input_device = device if input_device is None else backend.get_device(input_device)
        if not isinstance(iterator, dict):
            iterator = {'main': iterator}
        if not isinstance(optimizer, dict):
            optimizer = {'main': optimizer}
        if 'main' not in iterator or 'main' not in optimizer:
            raise ValueError("StandardUpdater: the dicts of iterators and optimizers need a "
                             "'main' entry")
        self._iterators = iterator
        self._optimizers = optimizer
        if device is not None:
            for opt in optimizer.values():
                opt.target.to_device(device)
        self.converter = converter
        self.loss_func = loss_func
        self.iteration = 0
        self._device = device
        self._input_device = input_device
        self.loss_scale = loss_scale
        if loss_scale is not None:
            for opt in optimizer.values():
                opt.set_loss_scale(loss_scale)
        self.auto_new_epoch = auto_new_epoch
        if auto_new_epoch:
            for opt in optimizer.values():
                opt.use_auto_new_epoch = True
        if compile is True:
            compile = {}
        self._compile_options: dict | None = dict(compile) if compile is not False else None
        self._compiled_step: Any = None

    @property
    def device(self):
        return self._device

    @property
    def input_device(self):
        return self._input_device

    @property
    def epoch(self) -> int:
        return self._iterators['main'].epoch

    @property
    def epoch_detail(self) -> float:
        return self._iterators['main'].epoch_detail

    @property
    def previous_epoch_detail(self):
        return self._iterators['main'].previous_epoch_detail

    @property
    def is_new_epoch(self) -> bool:
        return self._iterators['main'].is_new_epoch

    def finalize(self) -> None:
        for iterator in self._iterators.values():
            finalize = getattr(iterator, 'finalize', None)
            if finalize is not None:
                finalize()

    def get_optimizer(self, name: str):
        return self._optimizers[name]

    def get_all_optimizers(self) -> dict:
        return dict(self._optimizers)

    def get_iterator(self, name: str):
        return self._iterators[name]

    def update(self) -> None:
        """Make one update and count it."""
        self.update_core()
        self.iteration += 1

    def update_core(self) -> None:
        iterator = self._iterators['main']
        batch = iterator.next()
        in_arrays = convert._call_converter(self.converter, batch, self.input_device)
        optimizer = self._optimizers['main']
        loss_func = self.loss_func or optimizer.target
        if self._compile_options is not None and isinstance(in_arrays, tuple):
            self._compiled_update(optimizer, loss_func)(*in_arrays)
        elif isinstance(in_arrays, tuple):
            optimizer.update(loss_func, *in_arrays)
        elif isinstance(in_arrays, dict):
            optimizer.update(loss_func, **in_arrays)
        else:
            optimizer.update(loss_func, in_arrays)
        if self.auto_new_epoch and iterator.is_new_epoch:
            optimizer.new_epoch(auto=True)

    def _compiled_update(self, optimizer, loss_func) -> Callable:
        """The compiled step, traced at its first call and reused afterwards."""
        if self._compiled_step is None:
            from tracegrad.compile import compile as compile_step

            def step(*in_arrays):
                loss = loss_func(*in_arrays)
                optimizer.target.cleargrads()
                loss.backward(loss_scale=optimizer._loss_scale)
                optimizer.update()
                return loss

            targets = (optimizer,) + ((loss_func,) if hasattr(loss_func, 'namedparams') else ())
            options = dict(self._compile_options)
            options['targets'] = tuple(options.get('targets', ())) + targets
            if 'backend' not in options and self._device is not None \
                    and self._device.xp is not numpy:
                options['backend'] = 'cuda'  # the model lives on a GPU: compile for it
            self._compiled_step = compile_step(step, **options)
        return self._compiled_step

    def serialize(self, serializer) -> None:
        """Save or load the iterators, the optimizers, their models and the iteration."""
        for name, iterator in self._iterators.items():
            iterator.serialize(serializer['iterator:' + name])
        for name, optimizer in self._optimizers.items():
            optimizer.serialize(serializer['optimizer:' + name])
            optimizer.target.serialize(serializer['model:' + name])
        self.iteration = serializer('iteration', self.iteration)
