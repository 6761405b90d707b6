"""Backends: NumPy is always there; :mod:`tracegrad.backends.cuda` wraps optional CuPy."""
from tracegrad.backends import cuda  # noqa: F401
