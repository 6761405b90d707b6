"""The continuous uniform distribution: ``Uniform``."""
from __future__ import annotations

from functools import cached_property

import numpy

from tracegrad.distribution import Distribution, register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import as_params, check_params, reject_kwargs
from tracegrad.functions.array.broadcast import broadcast_to
from tracegrad.functions.array.where import where
from tracegrad.functions.math.clip import clip
from tracegrad.functions.math.exponential import log
from tracegrad.variable import as_variable

__all__ = ['Uniform']


class Uniform(Distribution):
    """The uniform distribution on :math:`[l, h]`.

    Give the bounds either as ``low`` and ``high`` or as ``loc`` (= low) and
    ``scale`` (= high - low), all keyword arguments. Samples are
    reparameterised (``loc + scale * u``).

    Args:
        low (Variable or array): the lower bound :math:`l`.
        high (Variable or array): the upper bound :math:`h`.
        loc (Variable or array): the lower bound, with ``scale``.
        scale (Variable or array): the width :math:`h - l`, with ``loc``.

    >>> import tracegrad.distributions as D
    >>> d = D.Uniform(low=np.array([0.], np.float32), high=np.array([4.], np.float32))
    >>> d.log_prob(np.array([1.], np.float32))
    variable([-1.3862944])
    """

    def __init__(self, low=None, high=None, **kwargs):
        loc = kwargs.pop('loc', None)
        scale = kwargs.pop('scale', None)
        reject_kwargs('Uniform', kwargs)
        low_high = low is not None and high is not None
        loc_scale = loc is not None and scale is not None
        given = [n for n, v in (('low', low), ('high', high), ('loc', loc), ('scale', scale))
                 if v is not None]
        if low_high == loc_scale or len(given) != 2:
            raise ValueError(f'Uniform: give either `low` and `high` or `loc` and `scale`, '
                             f'got {", ".join(f"`{n}`" for n in given) or "none"}')
        self._use_low_high = low_high
        if low_high:
            check_params('Uniform', low=low, high=high)
            self._params = as_params(low, high, who='Uniform')
        else:
            check_params('Uniform', loc=loc, scale=scale)
            self._params = as_params(loc, scale, who='Uniform')

    @property
    def low(self):
        return self._params[0]

    @property
    def loc(self):
        return self._params[0]

    @cached_property
    def high(self):
        return self._params[1] if self._use_low_high else self._params[0] + self._params[1]

    @cached_property
    def scale(self):
        return self._params[1] - self._params[0] if self._use_low_high else self._params[1]

    @property
    def batch_shape(self) -> tuple:
        return self.low.shape

    @property
    def event_shape(self) -> tuple:
        return ()

    @property
    def params(self) -> dict:
        if self._use_low_high:
            return {'low': self.low, 'high': self.high}
        return {'loc': self.loc, 'scale': self.scale}

    @property
    def support(self) -> str:
        return '[low, high]'

    @cached_property
    def mean(self):
        return (self.low + self.high) / 2

    @cached_property
    def variance(self):
        return self.scale ** 2 / 12

    @cached_property
    def entropy(self):
        return log(self.scale)

    def cdf(self, x):
        x = as_variable(x)
        return clip((x - self.loc) / self.scale, 0., 1.)

    def icdf(self, x):
        x = as_variable(x)
        return self.loc + x * self.scale

    def log_prob(self, x):
        x = as_variable(x)
        xa = x.array
        shape = numpy.broadcast_shapes(xa.shape, self.batch_shape)
        inside = (xa >= self.low.array) & (xa <= self.high.array)
        logp = broadcast_to(-log(self.scale), shape)
        return where(inside, logp, self.xp.array(-numpy.inf, logp.dtype))

    def sample_n(self, n: int):
        u = draw_open_uniform(self.xp, (n,) + self.batch_shape, self.loc.dtype)
        return self.icdf(u)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform):
    outside = (p.low.array < q.low.array) | (p.high.array > q.high.array)
    kl = log(q.scale) - log(p.scale)
    return where(outside, p.xp.array(numpy.inf, kl.dtype), kl)
