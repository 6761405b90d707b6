"""The beta distribution: ``Beta``."""
from __future__ import annotations

from functools import cached_property

import numpy

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_from
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.array.where import where
from tracegrad.functions.math.exponential import log, log1p
from tracegrad.functions.math.gamma import digamma, lgamma
from tracegrad.variable import Variable, as_variable

__all__ = ['Beta']


def _log_beta_function(a, b):
    return lgamma(a) + lgamma(b) - lgamma(a + b)


class Beta(ScalarDistribution):
    """The beta distribution on [0, 1], density
    :math:`\\frac{x^{\\alpha-1}(1-x)^{\\beta-1}}{B(\\alpha, \\beta)}`.

    Samples come from ``xp.random.beta`` and carry no gradient.

    Args:
        a (Variable or array): :math:`\\alpha > 0`.
        b (Variable or array): :math:`\\beta > 0`.

    >>> import tracegrad.distributions as D
    >>> d = D.Beta(np.array([2.], np.float32), np.array([2.], np.float32))
    >>> d.log_prob(np.array([0.5], np.float32))
    variable([0.40546513])
    >>> d.mean
    variable([0.5])
    """

    support = '[0, 1]'

    def __init__(self, a, b):
        self._take_params(a=a, b=b)

    @cached_property
    def _a_plus_b(self):
        return self.a + self.b

    @cached_property
    def _log_beta_function(self):
        return _log_beta_function(self.a, self.b)

    @cached_property
    def mean(self):
        return self.a / self._a_plus_b

    @cached_property
    def variance(self):
        total = self._a_plus_b
        return self.a * self.b / (total ** 2 * (total + 1))

    @cached_property
    def entropy(self):
        return (self._log_beta_function - (self.a - 1) * digamma(self.a)
                - (self.b - 1) * digamma(self.b)
                + (self._a_plus_b - 2) * digamma(self._a_plus_b))

    def log_prob(self, x):
        x = as_variable(x)
        inside = (x.array >= 0) & (x.array <= 1)
        x_in = where(inside, x, x.xp.full_like(x.array, 0.5))  # logs stay finite outside
        logp = (self.a - 1) * log(x_in) + (self.b - 1) * log1p(-x_in) - self._log_beta_function
        return where(inside, logp, self.xp.array(-numpy.inf, logp.dtype))

    def sample_n(self, n: int):
        a = self.a.array
        return Variable(draw_from(self.xp, 'beta', (a, self.b.array), (n,) + self.batch_shape,
                                  a.dtype))


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta):
    return (q._log_beta_function - p._log_beta_function
            + (p.a - q.a) * digamma(p.a) + (p.b - q.b) * digamma(p.b)
            + (q._a_plus_b - p._a_plus_b) * digamma(p._a_plus_b))
