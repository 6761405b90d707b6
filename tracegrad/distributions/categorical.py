"""The categorical distribution over {0, ..., K-1}: ``Categorical``."""
from __future__ import annotations

from functools import cached_property

import numpy

from tracegrad.distribution import Distribution, register_kl
from tracegrad.distributions._draws import draw_open_uniform
from tracegrad.distributions._params import check_params, select_one
from tracegrad.distributions._xlogx import xlogx
from tracegrad.functions.activation.softmax import log_softmax, softmax
from tracegrad.functions.array.where import where
from tracegrad.functions.math.exponential import log
from tracegrad.functions.math.sum import sum as sum_
from tracegrad.variable import Variable, as_variable

__all__ = ['Categorical']


def draw_categories(xp, p, n: int):
    """``n`` draws of category indices from the probabilities ``p`` (last axis), as
    ``(n,) + p.shape[:-1]`` int64 indices (by the inverse CDF of one uniform each)."""
    k = p.shape[-1]
    cdf = xp.cumsum(p, axis=-1)
    u = draw_open_uniform(xp, (n,) + p.shape[:-1] + (1,), p.dtype)
    # rescaled by the total so rounding in the cumulative sum cannot skip the last class
    index = (cdf < u * cdf[..., -1:]).sum(axis=-1)
    return xp.minimum(index, k - 1).astype(numpy.int64)


def kl_of_probabilities(p: Variable, log_p: Variable, log_q: Variable):
    """``sum(p (log p - log q))`` over the last axis, with 0 where p is 0."""
    xp = p.xp
    terms = where(p.array > 0, p * (log_p - log_q), xp.zeros_like(p.array))
    return sum_(terms, axis=-1)


class Categorical(Distribution):
    """The categorical distribution: category :math:`i` with probability :math:`p_i`.

    Args:
        p (Variable or array): probabilities, the categories on the last axis.
        logit (Variable or array): unnormalised log-probabilities instead of
            ``p``; give exactly one of them.

    >>> import tracegrad.distributions as D
    >>> d = D.Categorical(np.array([[0.2, 0.8], [0.5, 0.5]], np.float32))
    >>> d.log_prob(np.array([1, 0]))
    variable([-0.22314353, -0.6931472 ])
    """

    def __init__(self, p=None, logit=None):
        select_one('Categorical', p=p, logit=logit)
        self._given_p = p is not None
        if self._given_p:
            check_params('Categorical', p=p)
        else:
            check_params('Categorical', logit=logit)
        self._param = as_variable(p if self._given_p else logit)
        if self._param.ndim < 1:
            name = 'p' if self._given_p else 'logit'
            raise ValueError(f'Categorical: `{name}` needs a last axis of categories, '
                             f'got shape {self._param.shape}')

    @cached_property
    def p(self):
        return self._param if self._given_p else softmax(self._param, axis=-1)

    @cached_property
    def log_p(self):
        return log(self._param) if self._given_p else log_softmax(self._param, axis=-1)

    @property
    def batch_shape(self) -> tuple:
        return self._param.shape[:-1]

    @property
    def event_shape(self) -> tuple:
        return ()

    @property
    def params(self) -> dict:
        return {'p': self.p}

    @property
    def support(self) -> str:
        return '{0, ..., K-1}'

    @cached_property
    def entropy(self):
        if self._given_p:
            return -sum_(xlogx(self.p), axis=-1)
        return -sum_(self.p * self.log_p, axis=-1)

    def log_prob(self, x):
        from tracegrad.functions.array.broadcast import broadcast_to
        from tracegrad.functions.array.select_item import select_item

        x = x.array if isinstance(x, Variable) else x
        k = self._param.shape[-1]
        log_p = broadcast_to(self.log_p, x.shape + (k,)).reshape(-1, k)
        return select_item(log_p, x.reshape(-1).astype(numpy.int32)).reshape(x.shape)

    def sample_n(self, n: int):
        return Variable(draw_categories(self.xp, self.p.array, n))


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical):
    return kl_of_probabilities(p.p, p.log_p, q.log_p)
