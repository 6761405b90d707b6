"""The exponential distribution: ``Exponential``."""
from __future__ import annotations

from functools import cached_property

import numpy

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.array.where import where
from tracegrad.functions.math.exponential import expm1, log, log1p
from tracegrad.variable import as_variable

__all__ = ['Exponential']


class Exponential(ScalarDistribution):
    """The exponential distribution, density :math:`\\lambda e^{-\\lambda x}` for x >= 0.

    Samples are reparameterised (``eps / lam`` for a standard exponential ``eps``).

    Args:
        lam (Variable or array): the rate :math:`\\lambda`.

    >>> import tracegrad.distributions as D
    >>> d = D.Exponential(np.array([2.], np.float32))
    >>> d.log_prob(np.array([0.5], np.float32))
    variable([-0.30685282])
    """

    support = 'positive'

    def __init__(self, lam):
        self._take_params(lam=lam)

    @cached_property
    def _log_lam(self):
        return log(self.lam)

    @cached_property
    def mean(self):
        return 1 / self.lam

    @cached_property
    def variance(self):
        return self.mean ** 2

    @property
    def stddev(self):
        return self.mean

    @cached_property
    def entropy(self):
        return 1 - self._log_lam

    def log_prob(self, x):
        x = as_variable(x)
        logp = self._log_lam - self.lam * x
        return where(x.array >= 0, logp, self.xp.array(-numpy.inf, logp.dtype))

    def cdf(self, x):
        x = as_variable(x)
        return -expm1(-self.lam * x)

    def icdf(self, x):
        x = as_variable(x)
        return -log1p(-x) / self.lam

    def sample_n(self, n: int):
        xp = self.xp
        u = draw_open_uniform(xp, (n,) + self.batch_shape, self.lam.dtype)
        return 1 / self.lam * -xp.log(u)  # Variable first: a traced array would not defer


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential):
    return p._log_lam - q._log_lam + q.lam / p.lam - 1
