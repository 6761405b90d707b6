"""The Extension protocol: what a Trainer calls after each update."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

PRIORITY_WRITER = 300   # extensions that write into the observation (Evaluator)
PRIORITY_EDITOR = 200   # extensions that edit it (MicroAverage)
PRIORITY_READER = 100   # extensions that only read it (LogReport, PrintReport)


class Extension:
    """Base class of trainer extensions.

    A Trainer calls an extension with itself as the argument whenever the
    extension's trigger fires. Extensions with a higher :attr:`priority` run
    first within an iteration. Subclasses implement :meth:`__call__` and may
    implement :meth:`initialize` (called once when the training loop starts,
    also after resuming), :meth:`finalize`, :meth:`on_error` and
    :meth:`serialize`.

    Attributes:
        trigger: the default trigger, ``(1, 'iteration')``.
        priority: the default priority, :data:`PRIORITY_READER`.
        name: the name given by :meth:`Trainer.extend`, else None.
    """

    trigger: Any = (1, 'iteration')
    priority: int = PRIORITY_READER
    name: str | None = None

    @property
    def default_name(self) -> str:
        """The name used when none is given: the class name."""
        return type(self).__name__

    def __call__(self, trainer) -> None:
        raise NotImplementedError(f'{type(self).__name__}: an extension must implement '
                                  f'__call__(trainer)')

    def initialize(self, trainer) -> None:
        """Called before the training loop starts (and again after a resume)."""

    def finalize(self) -> None:
        """Called when the training loop ends, normally or by an exception."""

    def on_error(self, trainer, exc: BaseException, tb) -> None:
        """Called when the training loop raises ``exc`` (before :meth:`finalize`)."""

    def serialize(self, serializer) -> None:
        """Save or load the extension's state."""


def make_extension(trigger=None, default_name: str | None = None, priority: int | None = None,
                   finalizer: Callable | None = None, initializer: Callable | None = None,
                   on_error: Callable | None = None) -> Callable:
    """Decorator turning a function ``f(trainer)`` into an extension.

    It sets the attributes the Trainer reads from an extension.

    Args:
        trigger: the default trigger (``(1, 'iteration')`` when None).
        default_name: the default name (the function's name when None).
        priority: the default priority (:data:`PRIORITY_READER` when None).
        finalizer: called without arguments when training ends.
        initializer: called with the trainer before training starts.
        on_error: called as ``on_error(trainer, exc, tb)`` when training fails.

    >>> @training.make_extension(trigger=(1, 'epoch'))
    ... def print_epoch(trainer):
    ...     print('epoch', trainer.updater.epoch)
    >>> print_epoch.trigger, print_epoch.default_name
    ((1, 'epoch'), 'print_epoch')
    """
    if trigger is None:
        trigger = Extension.trigger
    if priority is None:
        priority = Extension.priority

    def decorator(ext):
        ext.trigger = trigger
        ext.default_name = default_name or ext.__name__
        ext.priority = priority
        ext.finalize = finalizer
        ext.on_error = on_error
        ext.initialize = initializer
        return ext

    return decorator
