"""Utility functions (Chainer's ``chainer.functions`` util category)."""
from tracegrad.functions.util.forget import forget

__all__ = ['forget']
