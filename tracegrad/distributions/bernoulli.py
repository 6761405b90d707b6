"""The Bernoulli distribution over {0, 1}: ``Bernoulli``."""
from __future__ import annotations

from functools import cached_property

import numpy

from tracegrad.distribution import Distribution, register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import check_params, select_one
from tracegrad.distributions._xlogx import xlogx
from tracegrad.functions.activation.sigmoid import sigmoid
from tracegrad.functions.activation.softplus import softplus
from tracegrad.functions.array.where import where
from tracegrad.functions.math.exponential import log, log1p
from tracegrad.variable import Variable, as_variable

__all__ = ['Bernoulli']


def _values(x, dtype):
    """``x`` with integer values (draws are int64, as Chainer's) cast to ``dtype``."""
    if x.dtype.kind == 'f':
        return x
    return x.array.astype(dtype) if isinstance(x, Variable) else x.astype(dtype)


class Bernoulli(Distribution):
    """The Bernoulli distribution: 1 with probability :math:`p`, else 0.

    Args:
        p (Variable or array): the probability :math:`p` of 1.
        logit (Variable or array): :math:`\\log\\frac{p}{1-p}` instead of ``p``;
            give exactly one of them. With ``logit``, ``log_prob`` and
            ``entropy`` are computed from it without rounding through ``p``.
        binary_check (bool): if True, ``log_prob`` is :math:`-\\infty` (and
            ``prob`` 0) at values other than 0 and 1.

    >>> import tracegrad.distributions as D
    >>> d = D.Bernoulli(logit=np.array([0., 2.], np.float32))
    >>> d.log_prob(np.array([1., 0.], np.float32))
    variable([-0.6931472, -2.126928 ])
    """

    def __init__(self, p=None, logit=None, binary_check: bool = False):
        select_one('Bernoulli', p=p, logit=logit)
        self._given_p = p is not None
        if self._given_p:
            check_params('Bernoulli', p=p)
        else:
            check_params('Bernoulli', logit=logit)
        self._param = as_variable(p if self._given_p else logit)
        self.binary_check = binary_check

    @cached_property
    def p(self):
        return self._param if self._given_p else sigmoid(self._param)

    @cached_property
    def logit(self):
        return log(self._param) - log1p(-self._param) if self._given_p else self._param

    @property
    def batch_shape(self) -> tuple:
        return self._param.shape

    @property
    def event_shape(self) -> tuple:
        return ()

    @property
    def params(self) -> dict:
        return {'logit': self.logit}

    @property
    def support(self) -> str:
        return '{0, 1}'

    @property
    def mean(self):
        return self.p

    @cached_property
    def variance(self):
        return self.p * (1 - self.p)

    @cached_property
    def entropy(self):
        if self._given_p:
            return -xlogx(self.p) - xlogx(1 - self.p)
        # -p log p - (1 - p) log(1 - p), with log p = -softplus(-l), log(1 - p) = -softplus(l)
        return self.p * softplus(-self.logit) + (1 - self.p) * softplus(self.logit)

    def log_prob(self, x):
        x = as_variable(_values(x, self._param.dtype))
        xa = x.array
        xp = self.xp
        if self._given_p:
            # guarded so that p = 0 or 1 gives 0 or -inf rather than nan at x in {0, 1}
            zero = xp.zeros((), self.p.dtype)
            y = (where(xa == 0, zero, x * log(self.p))
                 + where(xa == 1, zero, (1 - x) * log1p(-self.p)))
        else:
            y = x * self.logit - softplus(self.logit)
        if self.binary_check:
            y = where((xa == 0) | (xa == 1), y, xp.array(-numpy.inf, y.dtype))
        return y

    def prob(self, x):
        x = as_variable(_values(x, self._param.dtype))
        xa = x.array
        prob = x * self.p + (1 - x) * (1 - self.p)
        if self.binary_check:
            prob = prob * ((xa == 0) | (xa == 1)).astype(prob.dtype)
        return prob

    def sample_n(self, n: int):
        p = self.p.array
        u = draw_open_uniform(self.xp, (n,) + self.batch_shape, p.dtype)
        return Variable((u < p).astype(numpy.int64))


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli):
    return ((p.logit - q.logit) * (p.p - 1)
            - softplus(-p.logit) + softplus(-q.logit))
