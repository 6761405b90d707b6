"""The log-normal distribution: ``LogNormal``."""
from __future__ import annotations

import math
from functools import cached_property

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_standard_normal
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.math.exponential import exp, expm1, log

__all__ = ['LogNormal']

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class LogNormal(ScalarDistribution):
    """The distribution of :math:`e^Y` for :math:`Y \\sim N(\\mu, \\sigma^2)`.

    Samples are reparameterised (``exp(mu + sigma * eps)``).

    Args:
        mu (Variable or array): the mean :math:`\\mu` of :math:`\\log x`.
        sigma (Variable or array): the standard deviation :math:`\\sigma` of
            :math:`\\log x`.

    >>> import tracegrad.distributions as D
    >>> d = D.LogNormal(np.array([0.], np.float32), np.array([1.], np.float32))
    >>> d.log_prob(np.array([1.], np.float32))
    variable([-0.9189385])
    """

    support = 'positive'

    def __init__(self, mu, sigma):
        self._take_params(mu=mu, sigma=sigma)

    @cached_property
    def _log_sigma(self):
        return log(self.sigma)

    @cached_property
    def mean(self):
        return exp(self.mu + 0.5 * self.sigma ** 2)

    @cached_property
    def variance(self):
        s2 = self.sigma ** 2
        return expm1(s2) * exp(2 * self.mu + s2)

    @cached_property
    def entropy(self):
        return self.mu + self._log_sigma + (0.5 + _HALF_LOG_2PI)

    def log_prob(self, x):
        log_x = log(x)
        return (-_HALF_LOG_2PI - self._log_sigma - log_x
                - 0.5 * (log_x - self.mu) ** 2 / self.sigma ** 2)

    def sample_n(self, n: int):
        eps = draw_standard_normal(self.xp, (n,) + self.batch_shape, self.mu.dtype)
        return exp(self.mu + self.sigma * eps)


@register_kl(LogNormal, LogNormal)
def _kl_log_normal_log_normal(p: LogNormal, q: LogNormal):
    return (q._log_sigma - p._log_sigma
            + 0.5 * ((p.mu - q.mu) ** 2 + p.sigma ** 2) / q.sigma ** 2 - 0.5)
