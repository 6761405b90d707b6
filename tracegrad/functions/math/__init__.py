"""Math functions."""
from tracegrad.functions.math.sum import *  # noqa: F401,F403
from tracegrad.functions.math import sum as _sum
from tracegrad.functions.math.basic_math import install_variable_arithmetics

install_variable_arithmetics()

__all__ = list(_sum.__all__)
