"""Gaussian initializers: Normal and its fan-scaled variants (LeCun, Glorot, He).

Values come from NumPy's global random state (or ``rng``), drawn in float64 with
the same call as Chainer, so a seeded program gives Chainer's numbers.
"""
from __future__ import annotations

import numpy

from tracegrad.initializers.base import Initializer, _fill, get_fans


def _draw_normal(array, scale, rng) -> None:
    source = numpy.random if rng is None else rng
    _fill(array, source.normal(loc=0.0, scale=scale, size=array.shape))


class Normal(Initializer):
    """Draw each element from N(0, ``scale``\\ :sup:`2`).

    Args:
        scale: the standard deviation.
        dtype: the dtype the filled array must have.
        rng: a ``numpy.random.RandomState`` (default: NumPy's global state).
    """

    def __init__(self, scale=0.05, dtype=None, *, rng=None):
        super().__init__(dtype)
        self.scale = scale
        self.rng = rng

    def __call__(self, array) -> None:
        self._check_dtype(array)
        _draw_normal(array, self.scale, self.rng)


class _FanScaledNormal(Initializer):
    """A normal initializer whose deviation is ``scale * sqrt(gain / fan)``."""

    def __init__(self, scale=1.0, dtype=None, *, rng=None):
        super().__init__(dtype)
        self.scale = scale
        self.rng = rng

    def _std(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def __call__(self, array) -> None:
        self._check_dtype(array)
        fan_in, fan_out = get_fans(array.shape)
        _draw_normal(array, self._std(fan_in, fan_out), self.rng)


class LeCunNormal(_FanScaledNormal):
    """N(0, s\\ :sup:`2`) with ``s = scale * sqrt(1 / fan_in)``; the default of links.

    >>> a = np.empty((2, 3), np.float32); initializers.LeCunNormal()(a); a
    array([[ 1.0184761 ,  0.23103087,  0.5650746 ],
           [ 1.2937803 ,  1.0782351 , -0.56423163]], dtype=float32)
    """

    def _std(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(1. / fan_in)


class GlorotNormal(_FanScaledNormal):
    """N(0, s\\ :sup:`2`) with ``s = scale * sqrt(2 / (fan_in + fan_out))``."""

    def _std(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(2. / (fan_in + fan_out))


class HeNormal(_FanScaledNormal):
    """N(0, s\\ :sup:`2`) with ``s = scale * sqrt(2 / fan)``.

    Args:
        scale: a factor of the deviation.
        dtype: the dtype the filled array must have.
        fan_option: ``'fan_in'`` (default) or ``'fan_out'``: which fan to use.
        rng: a ``numpy.random.RandomState``.
    """

    def __init__(self, scale=1.0, dtype=None, fan_option='fan_in', *, rng=None):
        super().__init__(scale, dtype, rng=rng)
        self.fan_option = fan_option

    def _std(self, fan_in, fan_out):
        if self.fan_option == 'fan_in':
            return self.scale * numpy.sqrt(2. / fan_in)
        if self.fan_option == 'fan_out':
            return self.scale * numpy.sqrt(2. / fan_out)
        raise ValueError(f"HeNormal: fan_option must be 'fan_in' or 'fan_out', "
                         f"got {self.fan_option!r}")
