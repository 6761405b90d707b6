"""The Poisson distribution over {0, 1, 2, ...}: ``Poisson``."""
from __future__ import annotations

import math

from tracegrad.distribution import register_kl
from tracegrad.distributions._params import ScalarDistribution
from tracegrad.functions.math.exponential import log
from tracegrad.variable import Variable

__all__ = ['Poisson']

# Stirling's series for log Gamma(w), accurate to ~1e-13 for w >= 9.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188)
_SHIFT = 8


def log_factorial(xp, x):
    """``log(x!)`` of a non-negative array (``lgamma(x + 1)``), in ``x``'s dtype.

    Computed in float64: shifted up by 8 with the recurrence
    ``lgamma(z) = lgamma(z + 8) - log(z (z + 1) ... (z + 7))``, then Stirling's series.
    """
    z = x.astype('float64') + 1
    correction = xp.zeros_like(z)
    for i in range(_SHIFT):
        correction = correction + xp.log(z + i)
    w = z + _SHIFT
    inv, inv2 = 1 / w, 1 / (w * w)
    series = xp.zeros_like(w)
    for c in reversed(_STIRLING):
        series = series * inv2 + c
    lgamma_w = (w - 0.5) * xp.log(w) - w + 0.5 * math.log(2 * math.pi) + series * inv
    return (lgamma_w - correction).astype(x.dtype)


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
        return log(self.lam) * xa - log_factorial(self.xp, xa) - self.lam

    def sample_n(self, n: int):
        """Draws from ``xp.random.poisson`` (not traceable: no IR primitive for it)."""
        lam = self.lam.array
        draws = self.xp.random.poisson(lam, size=(n,) + self.batch_shape)
        return Variable(draws.astype(lam.dtype))


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson):
    return p.lam * (log(p.lam) - log(q.lam)) - p.lam + q.lam
