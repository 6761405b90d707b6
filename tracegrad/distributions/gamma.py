"""The gamma distribution: ``Gamma``."""
from __future__ import annotations

from functools import cached_property

import numpy

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_from
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.array.where import where
from tracegrad.functions.math.exponential import log
from tracegrad.functions.math.gamma import digamma, lgamma
from tracegrad.variable import as_variable

__all__ = ['Gamma']


class Gamma(ScalarDistribution):
    """The gamma distribution of shape :math:`k` and scale :math:`\\theta`, density
    :math:`\\frac{x^{k-1}e^{-x/\\theta}}{\\Gamma(k)\\theta^k}` for :math:`x \\geq 0`.

    Samples are ``theta`` times draws of ``xp.random.gamma(k)``: differentiable in
    ``theta``, not in ``k``.

    Args:
        k (Variable or array): the shape :math:`k > 0`.
        theta (Variable or array): the scale :math:`\\theta > 0`.

    >>> import tracegrad.distributions as D
    >>> d = D.Gamma(np.array([2.], np.float32), np.array([1.], np.float32))
    >>> d.log_prob(np.array([1.], np.float32))
    variable([-1.])
    >>> d.mean, d.variance
    (variable([2.]), variable([2.]))
    """

    support = 'positive'

    def __init__(self, k, theta):
        self._take_params(k=k, theta=theta)

    @cached_property
    def _log_theta(self):
        return log(self.theta)

    @cached_property
    def mean(self):
        return self.k * self.theta

    @cached_property
    def variance(self):
        return self.mean * self.theta

    @cached_property
    def entropy(self):
        return self.k + self._log_theta + lgamma(self.k) + (1 - self.k) * digamma(self.k)

    def log_prob(self, x):
        x = as_variable(x)
        inside = x.array >= 0
        x_in = where(inside, x, x.xp.ones_like(x.array))  # no log of a negative x
        logp = ((self.k - 1) * log(x_in) - x_in / self.theta
                - lgamma(self.k) - self.k * self._log_theta)
        return where(inside, logp, self.xp.array(-numpy.inf, logp.dtype))

    def sample_n(self, n: int):
        k = self.k.array
        return self.theta * draw_from(self.xp, 'gamma', (k,), (n,) + self.batch_shape, k.dtype)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma):
    return ((p.k - q.k) * digamma(p.k) - lgamma(p.k) + lgamma(q.k)
            + q.k * (q._log_theta - p._log_theta) + p.k * (p.theta / q.theta - 1))
