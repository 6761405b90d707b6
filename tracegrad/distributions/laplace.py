"""The Laplace (double exponential) distribution: ``Laplace``."""
from __future__ import annotations

import math
from functools import cached_property

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.array.where import where
from tracegrad.functions.math.exponential import exp, log, log1p
from tracegrad.variable import as_variable

__all__ = ['Laplace']


class Laplace(ScalarDistribution):
    """The Laplace distribution, density :math:`\\frac{1}{2b}\\exp(-\\frac{|x-\\mu|}{b})`.

    Samples are reparameterised (``loc + scale * eps``).

    Args:
        loc (Variable or array): the location :math:`\\mu` (mean and median).
        scale (Variable or array): the scale :math:`b`.

    >>> import tracegrad.distributions as D
    >>> d = D.Laplace(np.array([0.], np.float32), np.array([1.], np.float32))
    >>> d.log_prob(np.array([1.], np.float32))
    variable([-1.6931472])
    """

    support = 'real'

    def __init__(self, loc, scale):
        self._take_params(loc=loc, scale=scale)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @cached_property
    def variance(self):
        return 2 * self.scale ** 2

    @cached_property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @cached_property
    def entropy(self):
        return 1 + log(2 * self.scale)

    def log_prob(self, x):
        x = as_variable(x)
        return -log(2 * self.scale) - abs(x - self.loc) / self.scale

    def cdf(self, x):
        x = as_variable(x)
        z = (x - self.loc) / self.scale
        half_tail = 0.5 * exp(-abs(z))  # finite on both sides, so where's gradient is too
        return where(z.array < 0, half_tail, 1 - half_tail)

    def icdf(self, x):
        x = as_variable(x)
        centred = x - 0.5
        xa = centred.array
        sign = self.xp.where(xa < 0, -1, 1).astype(self.loc.dtype)
        return self.loc - self.scale * sign * log1p(-2 * abs(centred))

    def sample_n(self, n: int):
        xp = self.xp
        u = draw_open_uniform(xp, (n,) + self.batch_shape, self.loc.dtype)
        two = u.dtype.type(2)
        eps = xp.where(u < u.dtype.type(0.5), xp.log(two * u), -xp.log(two * (1 - u)))
        return self.loc + self.scale * eps


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace):
    distance = abs(p.loc - q.loc)
    return (log(q.scale) - log(p.scale) + distance / q.scale
            + p.scale / q.scale * exp(-distance / p.scale) - 1)
