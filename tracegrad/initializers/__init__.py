"""Initializers: callables that fill a parameter array in place."""
from tracegrad.initializers.base import (  # noqa: F401
    Initializer, Constant, Zero, One, NaN, _get_initializer, generate_array,
)
