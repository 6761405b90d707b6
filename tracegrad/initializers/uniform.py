"""Uniform initializers: Uniform and its fan-scaled variants (LeCun, Glorot, He)."""
from __future__ import annotations

import numpy

from tracegrad.initializers.base import Initializer, _fill, get_fans


def _draw_uniform(array, scale, rng) -> None:
    source = numpy.random if rng is None else rng
    _fill(array, source.uniform(low=-scale, high=scale, size=array.shape))


class Uniform(Initializer):
    """Draw each element uniformly from ``[-scale, scale]``.

    Args:
        scale: the half width of the interval.
        dtype: the dtype the filled array must have.
        rng: a ``numpy.random.RandomState`` (default: NumPy's global state).
    """

    def __init__(self, scale=0.05, dtype=None, *, rng=None):
        super().__init__(dtype)
        self.scale = scale
        self.rng = rng

    def __call__(self, array) -> None:
        self._check_dtype(array)
        _draw_uniform(array, self.scale, self.rng)


class _FanScaledUniform(Initializer):
    def __init__(self, scale=1.0, dtype=None, *, rng=None):
        super().__init__(dtype)
        self.scale = scale
        self.rng = rng

    def _bound(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def __call__(self, array) -> None:
        self._check_dtype(array)
        fan_in, fan_out = get_fans(array.shape)
        _draw_uniform(array, self._bound(fan_in, fan_out), self.rng)


class LeCunUniform(_FanScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(3 / fan_in)``."""

    def _bound(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(3. / fan_in)


class GlorotUniform(_FanScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(6 / (fan_in + fan_out))``."""

    def _bound(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(6. / (fan_in + fan_out))


class HeUniform(_FanScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(6 / fan_in)``."""

    def _bound(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(6. / fan_in)
