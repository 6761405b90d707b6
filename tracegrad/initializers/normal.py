"""Gaussian initializers: Normal and its fan-scaled variants (LeCun, Glorot, He).

Values come from NumPy's global random state (or ``rng``), drawn in float64 with
the same call as Chainer, so a seeded program gives Chainer's numbers.

The two random families (these and the uniform ones) share the bases here: a
spread (deviation or half width) that is ``scale`` or ``scale * sqrt(gain / fan)``,
and a draw of the family's ``distribution`` around zero.
"""
from __future__ import annotations

import numpy

from tracegrad.initializers.base import Initializer, _fill, get_fans


class _RandomInitializer(Initializer):
    """Fill an array with zero-centred draws of spread ``_spread(shape)``."""

    distribution: str  # 'normal' (spread: deviation) or 'uniform' (spread: half width)

    def __init__(self, scale=1.0, dtype=None, *, rng=None):
        super().__init__(dtype)
        self.scale = scale
        self.rng = rng

    def _spread(self, shape) -> float:
        return self.scale

    def __call__(self, array) -> None:
        self._check_dtype(array)
        spread = self._spread(array.shape)
        source = numpy.random if self.rng is None else self.rng
        if self.distribution == 'normal':
            values = source.normal(loc=0.0, scale=spread, size=array.shape)
        else:
            values = source.uniform(low=-spread, high=spread, size=array.shape)
        _fill(array, values)


class _FanScaled(_RandomInitializer):
    """A random initializer whose spread is ``_fan_spread(fan_in, fan_out)``."""

    def _fan_spread(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def _spread(self, shape) -> float:
        fan_in, fan_out = get_fans(shape)
        return self._fan_spread(fan_in, fan_out)


class Normal(_RandomInitializer):
    """Draw each element from N(0, ``scale``\\ :sup:`2`).

    Args:
        scale: the standard deviation.
        dtype: the dtype the filled array must have.
        rng: a ``numpy.random.RandomState`` (default: NumPy's global state).
    """

    distribution = 'normal'

    def __init__(self, scale=0.05, dtype=None, *, rng=None):
        super().__init__(scale, dtype, rng=rng)


class _FanScaledNormal(_FanScaled):
    """A normal initializer whose deviation is ``scale * sqrt(gain / fan)``."""

    distribution = 'normal'


class LeCunNormal(_FanScaledNormal):
    """N(0, s\\ :sup:`2`) with ``s = scale * sqrt(1 / fan_in)``; the default of links.

    >>> a = np.empty((2, 3), np.float32); initializers.LeCunNormal()(a); a
    array([[ 1.0184761 ,  0.23103087,  0.5650746 ],
           [ 1.2937803 ,  1.0782351 , -0.56423163]], dtype=float32)
    """

    def _fan_spread(self, fan_in, fan_out):
        return self.scale * numpy.sqrt(1. / fan_in)


class GlorotNormal(_FanScaledNormal):
    """N(0, s\\ :sup:`2`) with ``s = scale * sqrt(2 / (fan_in + fan_out))``."""

    def _fan_spread(self, fan_in, fan_out):
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

    def _fan_spread(self, fan_in, fan_out):
        if self.fan_option == 'fan_in':
            return self.scale * numpy.sqrt(2. / fan_in)
        if self.fan_option == 'fan_out':
            return self.scale * numpy.sqrt(2. / fan_out)
        raise ValueError(f"HeNormal: fan_option must be 'fan_in' or 'fan_out', "
                         f"got {self.fan_option!r}")
