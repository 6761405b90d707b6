"""Chainer's ``chainer.training.util`` location of :func:`get_trigger`."""
from tracegrad.training.trigger import get_trigger  # noqa: F401
