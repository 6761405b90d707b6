"""The Pareto distribution: ``Pareto``."""
from __future__ import annotations

from functools import cached_property

import numpy

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.array.where import where
from tracegrad.functions.math.exponential import exp, log
from tracegrad.variable import as_variable

__all__ = ['Pareto']


class Pareto(ScalarDistribution):
    """The Pareto distribution, density :math:`\\alpha x_m^\\alpha x^{-(\\alpha+1)}`
    for :math:`x \\ge x_m`.

    Samples are reparameterised (``scale * exp(eps / alpha)`` for a standard
    exponential ``eps``).

    Args:
        scale (Variable or array): the lower bound :math:`x_m`.
        alpha (Variable or array): the shape :math:`\\alpha`.

    >>> import tracegrad.distributions as D
    >>> d = D.Pareto(np.array([1.], np.float32), np.array([2.], np.float32))
    >>> d.log_prob(np.array([2.], np.float32))
    variable([-1.3862944])
    """

    support = '[scale, inf]'

    def __init__(self, scale, alpha):
        self._take_params(scale=scale, alpha=alpha)

    @cached_property
    def _log_scale(self):
        return log(self.scale)

    @cached_property
    def _log_alpha(self):
        return log(self.alpha)

    def _where_alpha_above(self, bound: float, value):
        return where(self.alpha.array > bound, value,
                     self.xp.array(numpy.inf, value.dtype))

    @cached_property
    def mean(self):
        return self._where_alpha_above(1, self.alpha * self.scale / (self.alpha - 1))

    @cached_property
    def variance(self):
        a = self.alpha
        return self._where_alpha_above(2, self.scale ** 2 * a / ((a - 1) ** 2 * (a - 2)))

    @cached_property
    def entropy(self):
        return self._log_scale - self._log_alpha + 1 / self.alpha + 1

    def log_prob(self, x):
        x = as_variable(x)
        logp = self._log_alpha + self.alpha * self._log_scale - (self.alpha + 1) * log(x)
        return where(x.array >= self.scale.array, logp, self.xp.array(-numpy.inf, logp.dtype))

    def sample_n(self, n: int):
        xp = self.xp
        u = draw_open_uniform(xp, (n,) + self.batch_shape, self.scale.dtype)
        return self.scale * exp(1 / self.alpha * -xp.log(u))  # Variable first, see Exponential


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto):
    kl = (q.alpha * (p._log_scale - q._log_scale) + p._log_alpha - q._log_alpha
          + (q.alpha - p.alpha) / p.alpha)
    return where(p.scale.array >= q.scale.array, kl, p.xp.array(numpy.inf, kl.dtype))
