"""The geometric distribution over {1, 2, ...}: ``Geometric``."""
from __future__ import annotations

from functools import cached_property

from tracegrad.distribution import register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.distributions._xlogx import xlogx
from tracegrad.functions.math.exponential import log, log1p
from tracegrad.variable import Variable, as_variable

__all__ = ['Geometric']


class Geometric(ScalarDistribution):
    """The number of Bernoulli(p) trials up to and including the first success:
    :math:`P(x) = (1 - p)^{x - 1} p` for :math:`x = 1, 2, \\dots`.

    Args:
        p (Variable or array): the success probability :math:`p`.

    >>> import tracegrad.distributions as D
    >>> d = D.Geometric(np.array([0.5], np.float32))
    >>> d.log_prob(np.array([2.], np.float32))
    variable([-1.3862944])
    """

    support = 'positive integer'

    def __init__(self, p):
        self._take_params(p=p)

    @cached_property
    def mean(self):
        return 1 / self.p

    @cached_property
    def variance(self):
        return (1 - self.p) / self.p ** 2

    @cached_property
    def entropy(self):
        return -(xlogx(1 - self.p) + xlogx(self.p)) / self.p

    def log_prob(self, x):
        x = as_variable(x)
        return (x - 1) * log1p(-self.p) + log(self.p)

    def sample_n(self, n: int):
        xp = self.xp
        p = self.p.array
        u = draw_open_uniform(xp, (n,) + self.batch_shape, p.dtype)
        # P(floor(log u / log(1 - p)) + 1 > k) = P(u <= (1 - p)^k) = (1 - p)^k
        return Variable(xp.floor(xp.log(u) / xp.log1p(-p)) + p.dtype.type(1))


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric):
    return ((1 / p.p - 1) * (log1p(-p.p) - log1p(-q.p))
            + log(p.p) - log(q.p))
