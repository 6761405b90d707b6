"""Uniform initializers: Uniform and its fan-scaled variants (LeCun, Glorot, He)."""
from __future__ import annotations

import numpy

from tracegrad.initializers.normal import _FanScaled, _RandomInitializer


class Uniform(_RandomInitializer):
    """Draw each element uniformly from ``[-scale, scale]``.

    Args:
        scale: the half width of the interval.
        dtype: the dtype the filled array must have.
        rng: a ``numpy.random.RandomState`` (default: NumPy's global state).
    """

    distribution = 'uniform'

    def __init__(self, scale=0.05, dtype=None, *, rng=None):
        super().__init__(scale, dtype, rng=rng)


class _FanScaledUniform(_FanScaled):
    distribution = 'uniform'


class LeCunUniform(_FanScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(3 / fan_in)``."""

    def _fan_spread(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(3. / fan_in)


class GlorotUniform(_FanScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(6 / (fan_in + fan_out))``."""

    def _fan_spread(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(6. / (fan_in + fan_out))


class HeUniform(_FanScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(6 / fan_in)``."""

    def _fan_spread(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(6. / fan_in)
