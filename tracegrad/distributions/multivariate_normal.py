"""The multivariate normal distribution: ``MultivariateNormal``."""
from __future__ import annotations

import math
from functools import cached_property

from tracegrad.distribution import Distribution, register_kl
from tracegrad.distributions._draws import draw_standard_normal
from tracegrad.distributions._params import check_params, reject_kwargs
from tracegrad.distributions.triangular_inverse import lower_triangular_inverse
from tracegrad.functions.array.reshape import expand_dims
from tracegrad.functions.math.exponential import log
from tracegrad.functions.math.sum import sum as sum_
from tracegrad.variable import as_variable

__all__ = ['MultivariateNormal']

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _matvec(m, v):
    """``m @ v`` over the last axes, broadcasting the leading ones (``(..., d, d)``, ``(..., d)``)."""
    return sum_(m * expand_dims(v, -2), axis=-1)


def _matmul(a, b):
    """``a @ b`` over the last two axes, broadcasting the leading ones."""
    return sum_(expand_dims(a, -1) * expand_dims(b, -3), axis=-2)


class MultivariateNormal(Distribution):
    """The multivariate normal distribution :math:`N(\\mu, LL^\\top)`.

    Its events are vectors of length ``d`` (the last axis of ``loc``). Samples are
    reparameterised (``loc + L @ eps``).

    Args:
        loc (Variable or array): the mean :math:`\\mu`, shape ``batch_shape + (d,)``.
        scale_tril (Variable or array): keyword only, the lower-triangular factor
            :math:`L` of the covariance, shape ``batch_shape + (d, d)``: a
            Cholesky factor (zero above the diagonal, positive diagonal).

    >>> import tracegrad.distributions as D
    >>> d = D.MultivariateNormal(np.zeros(2, np.float32),
    ...                          scale_tril=np.eye(2, dtype=np.float32))
    >>> d.log_prob(np.array([1., 0.], np.float32))
    variable(-2.337877)
    """

    def __init__(self, loc, **kwargs):
        scale_tril = kwargs.pop('scale_tril', None)
        reject_kwargs('MultivariateNormal', kwargs)
        if scale_tril is None:
            raise ValueError('MultivariateNormal: `scale_tril` must have a value')
        check_params('MultivariateNormal', loc=loc, scale_tril=scale_tril)
        self.loc, self.scale_tril = as_variable(loc), as_variable(scale_tril)
        if (self.loc.ndim < 1 or self.scale_tril.shape != self.loc.shape + self.loc.shape[-1:]):
            raise ValueError(f'MultivariateNormal: `scale_tril` must have shape '
                             f'loc.shape + (d,) with d = loc.shape[-1], got `loc` '
                             f'{self.loc.shape} and `scale_tril` {self.scale_tril.shape}')

    @property
    def d(self) -> int:
        return self.loc.shape[-1]

    @cached_property
    def _diagonal(self):
        eye = self.xp.eye(self.d, dtype=self.scale_tril.dtype)
        return sum_(self.scale_tril * eye, axis=-1)

    @cached_property
    def _logdet_scale(self):
        return sum_(log(abs(self._diagonal)), axis=-1)

    @cached_property
    def _scale_tril_inv(self):
        return lower_triangular_inverse(self.scale_tril)

    @property
    def batch_shape(self) -> tuple:
        return self.loc.shape[:-1]

    @property
    def event_shape(self) -> tuple:
        return self.loc.shape[-1:]

    @property
    def params(self) -> dict:
        return {'loc': self.loc, 'scale_tril': self.scale_tril}

    @property
    def support(self) -> str:
        return 'real'

    @property
    def mean(self):
        return self.loc

    @cached_property
    def covariance(self):
        from tracegrad.functions.array.transpose import swapaxes

        return _matmul(self.scale_tril, swapaxes(self.scale_tril, -1, -2))

    @cached_property
    def variance(self):
        return sum_(self.scale_tril ** 2, axis=-1)

    @cached_property
    def entropy(self):
        return self._logdet_scale + self.d * (0.5 + _HALF_LOG_2PI)

    def log_prob(self, x):
        x = as_variable(x)
        whitened = _matvec(self._scale_tril_inv, x - self.loc)
        return (-self.d * _HALF_LOG_2PI - self._logdet_scale
                - 0.5 * sum_(whitened ** 2, axis=-1))

    def sample_n(self, n: int):
        eps = draw_standard_normal(self.xp, (n,) + self.loc.shape, self.loc.dtype)
        return self.loc + _matvec(self.scale_tril, eps)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariate_normal(p: MultivariateNormal, q: MultivariateNormal):
    q_inv = q._scale_tril_inv
    trace = sum_(_matmul(q_inv, p.scale_tril) ** 2, axis=(-2, -1))
    mahalanobis = sum_(_matvec(q_inv, p.loc - q.loc) ** 2, axis=-1)
    return (q._logdet_scale - p._logdet_scale
            + 0.5 * (trace + mahalanobis - p.d))
