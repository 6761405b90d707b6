"""Extensions that put a value computed from the trainer into the observation."""
from __future__ import annotations

from collections.abc import Callable

from tracegrad.training import extension


def observe_value(observation_key: str, target_func: Callable):
    """An extension storing ``target_func(trainer)`` as ``observation[observation_key]``
    (once per epoch by default).

    >>> ext = extensions.observe_value('alpha', lambda trainer: 0.5)
    >>> ext.trigger, ext.priority
    ((1, 'epoch'), 300)
    """

    @extension.make_extension(trigger=(1, 'epoch'), priority=extension.PRIORITY_WRITER)
    def _observe_value(trainer):
        trainer.observation[observation_key] = target_func(trainer)

    return _observe_value


def observe_lr(optimizer_name: str = 'main', observation_key: str = 'lr'):
    """An extension storing the learning rate of an optimizer as ``observation['lr']``."""
    return observe_value(observation_key,
                         lambda trainer: trainer.updater.get_optimizer(optimizer_name).lr)
