"""The normal (Gaussian) distribution: ``Normal``."""
from __future__ import annotations

import math
from functools import cached_property

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_standard_normal
from tracegrad.distributions._params import ScalarDistribution, reject_kwargs, select_one
from tracegrad.functions.math.exponential import exp, log
from tracegrad.functions.math.normal_cdf import log_ndtr, ndtr, ndtri
from tracegrad.variable import as_variable

__all__ = ['Normal']

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Normal(ScalarDistribution):
    """The normal distribution :math:`N(\\mu, \\sigma^2)`.

    Its density is :math:`\\frac{1}{\\sqrt{2\\pi}\\sigma}
    \\exp(-\\frac{(x - \\mu)^2}{2\\sigma^2})`. Samples are reparameterised
    (``loc + scale * eps``), so they are differentiable in both parameters.

    Args:
        loc (Variable or array): the mean :math:`\\mu`.
        scale (Variable or array): the standard deviation :math:`\\sigma`.
        log_scale (Variable or array): :math:`\\log \\sigma`, keyword only; give
            either ``scale`` or ``log_scale``.

    >>> import tracegrad.distributions as D
    >>> d = D.Normal(np.zeros(2, np.float32), log_scale=np.zeros(2, np.float32))
    >>> d.log_prob(np.array([0., 1.], np.float32))
    variable([-0.9189385, -1.4189385])
    >>> d.cdf(np.array([0., 1.], np.float32))
    variable([0.5      , 0.8413448])
    """

    support = 'real'

    def __init__(self, loc, scale=None, **kwargs):
        log_scale = kwargs.pop('log_scale', None)
        reject_kwargs('Normal', kwargs)
        select_one('Normal', scale=scale, log_scale=log_scale)
        # the one given becomes an attribute; the other is computed from it on first use
        self._take_params(loc=loc, **({'scale': scale} if log_scale is None
                                      else {'log_scale': log_scale}))

    @cached_property
    def scale(self):
        return exp(self.log_scale)

    @cached_property
    def log_scale(self):
        return log(self.scale)

    @property
    def params(self) -> dict:
        return {'loc': self.loc, 'scale': self.scale}

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @cached_property
    def variance(self):
        return self.scale ** 2

    @cached_property
    def entropy(self):
        return self.log_scale + (0.5 + _HALF_LOG_2PI)

    def log_prob(self, x):
        x = as_variable(x)
        return -_HALF_LOG_2PI - self.log_scale - 0.5 * (x - self.loc) ** 2 / self.variance

    def _standardised(self, x):
        return (as_variable(x) - self.loc) / self.scale

    def cdf(self, x):
        return ndtr(self._standardised(x))

    def log_cdf(self, x):
        return log_ndtr(self._standardised(x))

    def survival_function(self, x):
        # P(X > x) = ndtr(-z): exact in the upper tail, where 1 - cdf(x) rounds to 0
        return ndtr(-self._standardised(x))

    def log_survival_function(self, x):
        return log_ndtr(-self._standardised(x))

    def icdf(self, x):
        return self.loc + self.scale * ndtri(as_variable(x))

    def sample_n(self, n: int):
        eps = draw_standard_normal(self.xp, (n,) + self.batch_shape, self.loc.dtype)
        return self.loc + self.scale * eps


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal):
    return (q.log_scale - p.log_scale
            + 0.5 * (p.variance + (p.loc - q.loc) ** 2) / q.variance - 0.5)
