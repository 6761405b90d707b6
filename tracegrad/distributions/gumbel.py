"""The Gumbel (type-I extreme value) distribution: ``Gumbel``."""
from __future__ import annotations

import math
from functools import cached_property

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.math.exponential import exp, log
from tracegrad.functions.math.gamma import lgamma
from tracegrad.variable import as_variable

__all__ = ['Gumbel']

EULER = 0.5772156649015329  # the Euler-Mascheroni constant


class Gumbel(ScalarDistribution):
    """The Gumbel distribution, density :math:`\\frac{1}{\\beta}e^{-(z + e^{-z})}`,
    :math:`z = (x - \\mu) / \\beta`.

    Samples are reparameterised (``loc - scale * log(-log(u))``).

    Args:
        loc (Variable or array): the location :math:`\\mu` (the mode).
        scale (Variable or array): the scale :math:`\\beta`.

    >>> import tracegrad.distributions as D
    >>> d = D.Gumbel(np.array([0.], np.float32), np.array([1.], np.float32))
    >>> d.log_prob(np.array([0.], np.float32))
    variable([-1.])
    """

    support = 'real'

    def __init__(self, loc, scale):
        self._take_params(loc=loc, scale=scale)

    @cached_property
    def _log_scale(self):
        return log(self.scale)

    @cached_property
    def mean(self):
        return self.loc + EULER * self.scale

    @property
    def mode(self):
        return self.loc

    @cached_property
    def variance(self):
        return (math.pi ** 2 / 6) * self.scale ** 2

    @cached_property
    def entropy(self):
        return self._log_scale + (EULER + 1)

    def log_prob(self, x):
        x = as_variable(x)
        z = (x - self.loc) / self.scale
        return -self._log_scale - z - exp(-z)

    def cdf(self, x):
        x = as_variable(x)
        return exp(-exp(-(x - self.loc) / self.scale))

    def sample_n(self, n: int):
        xp = self.xp
        u = draw_open_uniform(xp, (n,) + self.batch_shape, self.loc.dtype)
        return self.loc - self.scale * xp.log(-xp.log(u))


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel):
    # E_p[exp(-(x - mu_q) / beta_q)] = exp((mu_q - mu_p) / beta_q) Gamma(1 + beta_p / beta_q)
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return (q._log_scale - p._log_scale + EULER * (ratio - 1) + shift - 1
            + exp(lgamma(ratio + 1) - shift))
