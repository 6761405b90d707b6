"""The chi-square distribution: ``Chisquare``."""
from __future__ import annotations

from functools import cached_property

from tracegrad.distributions._draws import draw_from
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.distributions.gamma import Gamma
from tracegrad.variable import Variable

__all__ = ['Chisquare']


class Chisquare(ScalarDistribution):
    """The chi-square distribution with :math:`k` degrees of freedom, density
    :math:`\\frac{x^{k/2-1}e^{-x/2}}{2^{k/2}\\Gamma(k/2)}` for :math:`x \\geq 0`
    (the gamma distribution of shape :math:`k/2` and scale 2).

    Samples come from ``xp.random.chisquare`` and carry no gradient.

    Args:
        k (Variable or array): the degrees of freedom :math:`k > 0`.

    >>> import tracegrad.distributions as D
    >>> d = D.Chisquare(np.array([2.], np.float32))
    >>> d.log_prob(np.array([2.], np.float32))
    variable([-1.6931472])
    """

    support = 'positive'

    def __init__(self, k):
        self._take_params(k=k)

    @cached_property
    def _gamma(self):
        return Gamma(0.5 * self.k, self.xp.full_like(self.k.array, 2))

    @property
    def mean(self):
        return self.k

    @cached_property
    def variance(self):
        return 2 * self.k

    @property
    def entropy(self):
        return self._gamma.entropy

    def log_prob(self, x):
        return self._gamma.log_prob(x)

    def sample_n(self, n: int):
        k = self.k.array
        return Variable(draw_from(self.xp, 'chisquare', (k,), (n,) + self.batch_shape, k.dtype))
