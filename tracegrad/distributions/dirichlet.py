"""The Dirichlet distribution: ``Dirichlet``."""
from __future__ import annotations

from functools import cached_property

from tracegrad.distribution import Distribution, register_kl
from tracegrad.distributions._draws import draw_from
from tracegrad.distributions._params import check_params
from tracegrad.functions.array.reshape import expand_dims
from tracegrad.functions.math.exponential import log
from tracegrad.functions.math.gamma import digamma, lgamma
from tracegrad.functions.math.sum import sum as sum_
from tracegrad.variable import Variable, as_variable

__all__ = ['Dirichlet']


def _log_beta_function(alpha, alpha0):
    """The log of the multivariate beta function over the last axis."""
    return sum_(lgamma(alpha), axis=-1) - lgamma(alpha0)


class Dirichlet(Distribution):
    """The Dirichlet distribution over the probability simplex, density
    :math:`\\frac{\\Gamma(\\sum_i \\alpha_i)}{\\prod_i \\Gamma(\\alpha_i)}
    \\prod_i x_i^{\\alpha_i - 1}`.

    The last axis of ``alpha`` is the event axis. Samples are normalised draws of
    ``xp.random.gamma(alpha)`` and carry no gradient.

    Args:
        alpha (Variable or array): the concentrations :math:`\\alpha_i > 0`, of shape
            ``batch_shape + (K,)``.

    >>> import tracegrad.distributions as D
    >>> d = D.Dirichlet(np.array([1., 2., 3.], np.float32))
    >>> d.batch_shape, d.event_shape
    ((), (3,))
    >>> d.mean
    variable([0.16666667, 0.33333334, 0.5       ])
    """

    def __init__(self, alpha):
        check_params('Dirichlet', alpha=alpha)
        self.alpha = as_variable(alpha)
        if self.alpha.ndim == 0:
            raise ValueError('Dirichlet: `alpha` needs an event axis (its last), '
                             'got a 0-d array')

    @cached_property
    def alpha0(self):
        """The total concentration :math:`\\sum_i \\alpha_i`, of shape ``batch_shape``."""
        return sum_(self.alpha, axis=-1)

    @cached_property
    def _log_beta_function(self):
        return _log_beta_function(self.alpha, self.alpha0)

    @property
    def batch_shape(self) -> tuple:
        return self.alpha.shape[:-1]

    @property
    def event_shape(self) -> tuple:
        return self.alpha.shape[-1:]

    @property
    def params(self) -> dict:
        return {'alpha': self.alpha}

    @property
    def support(self) -> str:
        return '[0, 1]'

    @cached_property
    def mean(self):
        return self.alpha / expand_dims(self.alpha0, -1)

    @cached_property
    def variance(self):
        alpha0 = expand_dims(self.alpha0, -1)
        return self.alpha * (alpha0 - self.alpha) / (alpha0 ** 2 * (alpha0 + 1))

    @cached_property
    def entropy(self):
        return (self._log_beta_function
                + (self.alpha0 - self.event_shape[0]) * digamma(self.alpha0)
                - sum_((self.alpha - 1) * digamma(self.alpha), axis=-1))

    def log_prob(self, x):
        x = as_variable(x)
        return sum_((self.alpha - 1) * log(x), axis=-1) - self._log_beta_function

    def sample_n(self, n: int):
        alpha = self.alpha.array
        g = draw_from(self.xp, 'gamma', (alpha,), (n,) + alpha.shape, alpha.dtype)
        return Variable(g / g.sum(axis=-1, keepdims=True))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet):
    centred = digamma(p.alpha) - expand_dims(digamma(p.alpha0), -1)
    return (q._log_beta_function - p._log_beta_function
            + sum_((p.alpha - q.alpha) * centred, axis=-1))
