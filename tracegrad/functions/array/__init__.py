"""Array manipulation functions."""
from tracegrad.functions.array.broadcast import *  # noqa: F401,F403
from tracegrad.functions.array import broadcast as _broadcast

__all__ = list(_broadcast.__all__)
