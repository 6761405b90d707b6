"""The categorical distribution over one-hot vectors: ``OneHotCategorical``."""
from __future__ import annotations

from functools import cached_property

from tracegrad.distribution import Distribution, register_kl
from tracegrad.distributions._params import check_params
from tracegrad.distributions._xlogx import xlogx
from tracegrad.distributions.categorical import draw_categories, kl_of_probabilities
from tracegrad.functions.math.exponential import log
from tracegrad.functions.math.sum import sum as sum_
from tracegrad.variable import Variable, as_variable

__all__ = ['OneHotCategorical']


class OneHotCategorical(Distribution):
    """The categorical distribution, with each draw a one-hot vector over the categories.

    Args:
        p (Variable or array): probabilities, the categories on the last axis
            (which is the event shape).

    >>> import tracegrad.distributions as D
    >>> d = D.OneHotCategorical(np.array([0.25, 0.75], np.float32))
    >>> d.log_prob(np.array([0., 1.], np.float32))
    variable(-0.2876821)
    """

    def __init__(self, p):
        check_params('OneHotCategorical', p=p)
        self._p = as_variable(p)
        if self._p.ndim < 1:
            raise ValueError(f'OneHotCategorical: `p` needs a last axis of categories, '
                             f'got shape {self._p.shape}')

    @property
    def p(self):
        return self._p

    @cached_property
    def log_p(self):
        return log(self._p)

    @property
    def batch_shape(self) -> tuple:
        return self._p.shape[:-1]

    @property
    def event_shape(self) -> tuple:
        return self._p.shape[-1:]

    @property
    def params(self) -> dict:
        return {'p': self._p}

    @property
    def support(self) -> str:
        return 'one-hot vectors'

    @property
    def mean(self):
        return self._p

    @cached_property
    def variance(self):
        return self._p * (1 - self._p)

    @cached_property
    def entropy(self):
        return -sum_(xlogx(self._p), axis=-1)

    def log_prob(self, x):
        return sum_(self.log_p * x, axis=-1)

    def sample_n(self, n: int):
        xp = self.xp
        p = self._p.array
        index = draw_categories(xp, p, n)
        k = p.shape[-1]
        return Variable((index[..., None] == xp.arange(k)).astype(p.dtype))


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_one_hot_categorical(p: OneHotCategorical, q: OneHotCategorical):
    return kl_of_probabilities(p.p, p.log_p, q.log_p)
