"""Training loops (Chainer's ``chainer.training``): Trainer, updaters, triggers, extensions."""
from tracegrad.training import (
    extensions,
    triggers,
    updaters,
    util,
)
from tracegrad.training.extension import (
    PRIORITY_EDITOR,
    PRIORITY_READER,
    PRIORITY_WRITER,
    Extension,
    make_extension,
)
from tracegrad.training.trainer import Trainer
from tracegrad.training.trigger import get_trigger
from tracegrad.training.updater import Updater
from tracegrad.training.updaters import StandardUpdater

__all__ = [
    'PRIORITY_EDITOR',
    'PRIORITY_READER',
    'PRIORITY_WRITER',
    'Extension',
    'StandardUpdater',
    'Trainer',
    'Updater',
    'extensions',
    'get_trigger',
    'make_extension',
    'triggers',
    'updaters',
    'util',
]
