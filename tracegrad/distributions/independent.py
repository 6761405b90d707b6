"""Reinterpreting batch axes of a distribution as event axes: ``Independent``."""
from __future__ import annotations

from functools import cached_property

from tracegrad.distribution import Distribution, kl_divergence, register_kl
from tracegrad.functions.array.broadcast import broadcast_to
from tracegrad.functions.array.reshape import expand_dims
from tracegrad.functions.math.prod import prod
from tracegrad.functions.math.sum import sum as sum_

__all__ = ['Independent']


def _size(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class Independent(Distribution):
    """The joint distribution of independent draws of ``distribution`` over its
    rightmost ``reinterpreted_batch_ndims`` batch axes, which become event axes.

    ``log_prob`` (and ``entropy``, ``log_cdf``...) sum over those axes; ``prob`` and
    ``cdf`` multiply. Moments and samples are those of ``distribution``.

    Args:
        distribution (Distribution): the distribution of the single draws.
        reinterpreted_batch_ndims (int or None): how many rightmost batch axes to
            turn into event axes; None keeps only the first batch axis as batch.

    >>> import tracegrad.distributions as D
    >>> d = D.Independent(D.Normal(np.zeros((4, 3), np.float32),
    ...                            np.ones((4, 3), np.float32)))
    >>> d.batch_shape, d.event_shape
    ((4,), (3,))
    >>> d.log_prob(np.zeros((4, 3), np.float32)).shape
    (4,)
    """

    def __init__(self, distribution: Distribution, reinterpreted_batch_ndims=None):
        ndim = len(distribution.batch_shape)
        if reinterpreted_batch_ndims is None:
            reinterpreted_batch_ndims = max(0, ndim - 1)
        elif not 0 <= reinterpreted_batch_ndims <= ndim:
            raise ValueError(f'Independent: `reinterpreted_batch_ndims` must be between 0 and '
                             f'the {ndim} axes of the distribution\'s batch shape '
                             f'{distribution.batch_shape}, got {reinterpreted_batch_ndims}')
        self.distribution = distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        kept = ndim - reinterpreted_batch_ndims
        self._batch_shape = distribution.batch_shape[:kept]
        self._event_shape = distribution.batch_shape[kept:] + distribution.event_shape

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _reduce(self, op, value):
        if self.reinterpreted_batch_ndims == 0:
            return value
        return op(value, axis=tuple(range(-self.reinterpreted_batch_ndims, 0)))

    @property
    def params(self) -> dict:
        return self.distribution.params

    @property
    def xp(self):
        return self.distribution.xp

    @property
    def support(self) -> str:
        return self.distribution.support

    @property
    def mean(self):
        return self.distribution.mean

    @property
    def mode(self):
        return self.distribution.mode

    @property
    def variance(self):
        return self.distribution.variance

    @property
    def stddev(self):
        return self.distribution.stddev

    @cached_property
    def covariance(self):
        """Block diagonal: one block per reinterpreted draw, each the covariance of
        ``distribution`` (its variance, for scalar events)."""
        base = self.distribution
        m = _size(base.batch_shape[len(self._batch_shape):])
        dim = _size(base.event_shape)
        xp = self.xp
        if base.event_shape == ():
            cov = expand_dims(base.variance.reshape(self._batch_shape + (m, 1)), -1)
        else:
            cov = base.covariance.reshape(self._batch_shape + (m, dim, dim))
        dtype = cov.dtype
        blocks = xp.eye(m, dtype=dtype)[:, None, :, None]  # (m, 1, m, 1): draw i with i
        full = broadcast_to(expand_dims(cov, -2), self._batch_shape + (m, dim, m, dim))
        return (full * blocks).reshape(self._batch_shape + (m * dim, m * dim))

    @property
    def entropy(self):
        return self._reduce(sum_, self.distribution.entropy)

    def log_prob(self, x):
        return self._reduce(sum_, self.distribution.log_prob(x))

    def prob(self, x):
        return self._reduce(prod, self.distribution.prob(x))

    def cdf(self, x):
        return self._reduce(prod, self.distribution.cdf(x))

    def log_cdf(self, x):
        return self._reduce(sum_, self.distribution.log_cdf(x))

    def survival_function(self, x):
        return self._reduce(prod, self.distribution.survival_function(x))

    def log_survival_function(self, x):
        return self._reduce(sum_, self.distribution.log_survival_function(x))

    def perplexity(self, x):
        return self._reduce(prod, self.distribution.perplexity(x))

    def icdf(self, x):
        """Always raises RuntimeError: a multivariate CDF has no inverse."""
        raise RuntimeError('Independent: the cumulative distribution function of a '
                           'multivariate variable is not invertible')

    def sample_n(self, n: int):
        return self.distribution.sample_n(n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent):
    if p.event_shape != q.event_shape:
        raise ValueError(f'kl_divergence: the event shapes of the Independent '
                         f'distributions differ: {p.event_shape} and {q.event_shape}')
    if p.distribution.event_shape != q.distribution.event_shape:
        raise NotImplementedError(
            'kl_divergence: Independent distributions over base distributions of '
            'different event shapes are not supported')
    n_axes = len(p.event_shape) - len(p.distribution.event_shape)
    kl = kl_divergence(p.distribution, q.distribution)
    return sum_(kl, axis=tuple(range(-n_axes, 0))) if n_axes else kl
