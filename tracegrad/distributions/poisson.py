"""The Poisson distribution over {0, 1, 2, ...}: ``Poisson``."""
from __future__ import annotations

from tracegrad.distribution import register_kl
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.math.exponential import log
from tracegrad.functions.math.gamma import lgamma
from tracegrad.variable import Variable

__all__ = ['Poisson']

class Poisson(ScalarDistribution):
    """The Poisson distribution, :math:`P(x) = \\lambda^x e^{-\\lambda} / x!`.

    Args:
        lam (Variable or array): the rate :math:`\\lambda` (mean and variance).

    >>> import tracegrad.distributions as D
    >>> d = D.Poisson(np.array([2.], np.float32))
    >>> d.log_prob(np.array([3.], np.float32))
    variable([-1.712318])
    """

    support = 'non negative integer'

    def __init__(self, lam):
        self._take_params(lam=lam)

    @property
    def mean(self):
        return self.lam

    @property
    def variance(self):
        return self.lam

    def log_prob(self, x):
        xa = x.array if isinstance(x, Variable) else x
        xa = xa.astype(self.lam.dtype)
        # log(x!) = lgamma(x + 1), a constant: x gets no gradient
        return log(self.lam) * xa - lgamma(xa + 1).array - self.lam

    def sample_n(self, n: int):
        """Draws from ``xp.random.poisson`` (not traceable: no IR primitive for it)."""
        lam = self.lam.array
        draws = self.xp.random.poisson(lam, size=(n,) + self.batch_shape)
        return Variable(draws.astype(lam.dtype))


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson):
    return p.lam * (log(p.lam) - log(q.lam)) - p.lam + q.lam
