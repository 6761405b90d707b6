"""The Cauchy distribution: ``Cauchy``."""
from __future__ import annotations

import math
from functools import cached_property

import numpy

from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.math.exponential import log, log1p
from tracegrad.functions.math.trigonometric import arctan, tan
from tracegrad.variable import Variable, as_variable

__all__ = ['Cauchy']


class Cauchy(ScalarDistribution):
    """The Cauchy distribution, density :math:`\\frac{1}{\\pi\\gamma(1 + ((x-x_0)/\\gamma)^2)}`.

    It has no mean or variance: both are NaN. Samples are reparameterised
    (``loc + scale * tan(pi (u - 1/2))``).

    Args:
        loc (Variable or array): the location :math:`x_0` (the median).
        scale (Variable or array): the scale :math:`\\gamma`.

    >>> import tracegrad.distributions as D
    >>> d = D.Cauchy(np.array([0.], np.float32), np.array([1.], np.float32))
    >>> d.log_prob(np.array([1.], np.float32))
    variable([-1.837877])
    """

    support = 'real'

    def __init__(self, loc, scale):
        self._take_params(loc=loc, scale=scale)

    def _nan(self):
        return Variable(self.xp.full_like(self.loc.array, numpy.nan))

    @property
    def mean(self):
        return self._nan()

    @property
    def variance(self):
        return self._nan()

    @property
    def mode(self):
        return self.loc

    @cached_property
    def entropy(self):
        return log(4 * math.pi * self.scale)

    def log_prob(self, x):
        x = as_variable(x)
        z = (x - self.loc) / self.scale
        return -math.log(math.pi) - log(self.scale) - log1p(z ** 2)

    def cdf(self, x):
        x = as_variable(x)
        return arctan((x - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, x):
        x = as_variable(x)
        return self.loc + self.scale * tan(math.pi * (x - 0.5))

    def sample_n(self, n: int):
        xp = self.xp
        u = draw_open_uniform(xp, (n,) + self.batch_shape, self.loc.dtype)
        eps = xp.tan(u.dtype.type(math.pi) * (u - u.dtype.type(0.5)))
        return self.loc + self.scale * eps
