"""Probability distributions: the ``Distribution`` interface and the KL registry.

A distribution holds its parameters as Variables, so everything it computes from
them (``log_prob``, ``entropy``, ``mean``, reparameterised samples) is a
differentiable graph, usable in a loss and traceable by ``tracegrad.compile``.

Shapes follow Chainer's sample-batch-event hierarchy: a value passed to
``log_prob`` has shape ``sample_shape + batch_shape + event_shape`` and the result
has shape ``sample_shape + batch_shape``.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

from tracegrad import backend

__all__ = ['Distribution', 'cross_entropy', 'kl_divergence', 'register_kl']


class Distribution:
    """Base class of probability distributions (Chainer's ``chainer.Distribution``).

    A subclass takes its parameters in ``__init__``, and defines ``batch_shape``,
    ``event_shape``, ``params`` and whichever of ``log_prob``, ``sample_n``,
    ``mean``, ``variance``, ``entropy``, ``cdf``... it supports; the others raise
    :class:`NotImplementedError` naming the distribution.

    >>> import tracegrad.distributions as D
    >>> d = D.Normal(np.zeros((4, 3), np.float32), np.ones((4, 3), np.float32))
    >>> d.batch_shape, d.event_shape
    ((4, 3), ())
    >>> d.sample(sample_shape=(6, 5)).shape
    (6, 5, 4, 3)
    """

    def _not_defined(self, what: str):
        return NotImplementedError(f'{type(self).__name__} does not define {what}')

    def _copy_to(self, target):
        target.__dict__ = copy.copy(self.__dict__)
        return target

    def __copy__(self):
        return self._copy_to(object.__new__(type(self)))

    @property
    def batch_shape(self) -> tuple:
        """The shape of the independent, differently parameterised draws."""
        raise self._not_defined('batch_shape')

    @property
    def event_shape(self) -> tuple:
        """The shape of one draw (``()`` for a scalar distribution)."""
        raise self._not_defined('event_shape')

    @property
    def params(self) -> dict:
        """The parameters, by name, as Variables."""
        raise self._not_defined('params')

    @property
    def xp(self):
        """``numpy`` or ``cupy``: the array module of the parameters."""
        return backend.get_array_module(*self.params.values())

    @property
    def device(self):
        """The device the parameters live on."""
        return backend.get_device_from_array(*(p.array for p in self.params.values()))

    @property
    def support(self) -> str:
        """The set of values of nonzero probability, in words."""
        raise self._not_defined('support')

    # Moments and entropy (properties, as in Chainer).

    @property
    def mean(self):
        """The mean, a Variable of shape ``batch_shape + event_shape``."""
        raise self._not_defined('mean')

    @property
    def mode(self):
        """The mode, a Variable of shape ``batch_shape + event_shape``."""
        raise self._not_defined('mode')

    @property
    def variance(self):
        """The variance, a Variable of shape ``batch_shape + event_shape``."""
        raise self._not_defined('variance')

    @property
    def stddev(self):
        """The standard deviation (the square root of ``variance``)."""
        from tracegrad.functions.math.sqrt import sqrt

        return sqrt(self.variance)

    @property
    def covariance(self):
        """The covariance matrices of a distribution over vectors."""
        raise self._not_defined('covariance')

    @property
    def entropy(self):
        """The entropy, a Variable of shape ``batch_shape``."""
        raise self._not_defined('entropy')

    # Functions of a value x of shape sample_shape + batch_shape + event_shape.

    def log_prob(self, x):
        """The log density (or log mass) at ``x``."""
        raise self._not_defined('log_prob')

    def prob(self, x):
        """The density (or mass) at ``x``: ``exp(log_prob(x))``."""
        from tracegrad.functions.math.exponential import exp

        return exp(self.log_prob(x))

    def cdf(self, x):
        """The cumulative distribution function at ``x``."""
        raise self._not_defined('cdf')

    def icdf(self, x):
        """The inverse of the cumulative distribution function at ``x`` in [0, 1]."""
        raise self._not_defined('icdf')

    def log_cdf(self, x):
        """The log of the cumulative distribution function at ``x``."""
        raise self._not_defined('log_cdf')

    def survival_function(self, x):
        """``1 - cdf(x)``."""
        raise self._not_defined('survival_function')

    def log_survival_function(self, x):
        """The log of ``1 - cdf(x)``."""
        raise self._not_defined('log_survival_function')

    def perplexity(self, x):
        """The perplexity at ``x``."""
        raise self._not_defined('perplexity')

    # Sampling.

    def sample_n(self, n: int):
        """``n`` draws, a Variable of shape ``(n,) + batch_shape + event_shape``."""
        raise self._not_defined('sample_n')

    def sample(self, sample_shape=()):
        """Draws of shape ``sample_shape + batch_shape + event_shape``.

        Args:
            sample_shape (int or tuple of ints): the shape of the independent draws;
                ``()`` draws once without a leading axis.

        Returns:
            ~tracegrad.Variable: the draws (differentiable in the parameters where
            the distribution is reparameterised).
        """
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        sample_shape = tuple(sample_shape)
        n = 1
        for s in sample_shape:
            n *= s
        return self.sample_n(n).reshape(sample_shape + self.batch_shape + self.event_shape)


_KL_DIVERGENCE: dict = {}


def register_kl(Dist1: type, Dist2: type) -> Callable:
    """Decorator registering ``f(dist1, dist2)`` as the KL divergence of two types.

    :func:`kl_divergence` calls the function registered for the types of its
    arguments.

    Args:
        Dist1 (type): a :class:`Distribution` subclass, the first operand.
        Dist2 (type): a :class:`Distribution` subclass, the second operand.
    """
    def register(kl):
        _KL_DIVERGENCE[Dist1, Dist2] = kl
        return kl
    return register


class _KLNotRegistered(NotImplementedError, KeyError):
    """No KL divergence is registered for a pair of distribution types.

    A NotImplementedError; also a KeyError, which Chainer 7's lookup raised.
    """

    def __str__(self) -> str:
        return str(self.args[0])


def _registered_kl(type1: type, type2: type):
    kl = _KL_DIVERGENCE.get((type1, type2))
    if kl is not None:
        return kl
    for base1 in type1.__mro__:  # a subclass uses its nearest registered base
        for base2 in type2.__mro__:
            kl = _KL_DIVERGENCE.get((base1, base2))
            if kl is not None:
                return kl
    raise _KLNotRegistered(
        f'kl_divergence: no KL divergence is registered for '
        f'({type1.__name__}, {type2.__name__}); register one with '
        f'register_kl({type1.__name__}, {type2.__name__})')


def kl_divergence(dist1: Distribution, dist2: Distribution):
    """The Kullback-Leibler divergence :math:`D_{KL}(p \\| q)`.

    Args:
        dist1 (Distribution): :math:`p`.
        dist2 (Distribution): :math:`q`.

    Returns:
        ~tracegrad.Variable of shape ``batch_shape``.

    Raises:
        NotImplementedError: no function is registered for the pair of types
            (see :func:`register_kl`).

    >>> import tracegrad.distributions as D
    >>> p = D.Normal(np.array([0.], np.float32), np.array([1.], np.float32))
    >>> q = D.Normal(np.array([1.], np.float32), np.array([1.], np.float32))
    >>> chainer.kl_divergence(p, q)
    variable([0.5])
    """
    return _registered_kl(type(dist1), type(dist2))(dist1, dist2)


def cross_entropy(dist1: Distribution, dist2: Distribution):
    """The cross entropy :math:`H(p, q) = H(p) + D_{KL}(p \\| q)`.

    Args:
        dist1 (Distribution): :math:`p` (it must define ``entropy``).
        dist2 (Distribution): :math:`q`.

    Returns:
        ~tracegrad.Variable of shape ``batch_shape``.
    """
    return dist1.entropy + kl_divergence(dist1, dist2)
