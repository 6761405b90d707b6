"""Losses of variational auto-encoders: Gaussian KL divergence and negative log-likelihoods.

They are compositions of differentiable functions, so every order of gradient works.
"""
from __future__ import annotations

import math

from tracegrad.functions.loss._checks import check_reduce

__all__ = ['bernoulli_nll', 'gaussian_kl_divergence', 'gaussian_nll']

_REDUCE_OPTIONS = ('sum', 'mean', 'no')


def _reduce(loss, reduce: str):
    from tracegrad import functions as F

    if reduce == 'sum':
        return F.sum(loss)
    if reduce == 'mean':
        return F.average(loss)
    return loss


def gaussian_kl_divergence(mean, ln_var, reduce='sum'):
    """KL divergence of ``N(mean, exp(ln_var))`` from the standard normal, elementwise.

    Each element contributes ``(mean**2 + exp(ln_var) - ln_var - 1) / 2``, the KL
    divergence of a diagonal Gaussian from ``N(0, I)`` summed over its dimensions.

    Args:
        mean (~tracegrad.Variable or array): the means.
        ln_var (~tracegrad.Variable or array): the log variances, of ``mean``'s shape.
        reduce (str): ``'sum'``, ``'mean'`` or ``'no'`` (elementwise values).

    Returns:
        ~tracegrad.Variable: the divergence; a scalar unless ``reduce='no'``.

    >>> mean = np.array([0., 1.], np.float32)
    >>> ln_var = np.zeros(2, np.float32)
    >>> F.gaussian_kl_divergence(mean, ln_var)
    variable(0.5)
    """
    from tracegrad import functions as F

    check_reduce('gaussian_kl_divergence', reduce, _REDUCE_OPTIONS)
    loss = (mean * mean + F.exp(ln_var) - ln_var - 1) * 0.5
    return _reduce(loss, reduce)


def bernoulli_nll(x, y, reduce='sum'):
    """Negative log-likelihood of ``x`` under Bernoulli distributions ``p = sigmoid(y)``.

    Each element contributes ``-(x log p + (1 - x) log(1 - p))``, computed stably as
    ``softplus(y) - x * y``; ``y`` can be a linear layer's output directly.

    Args:
        x (~tracegrad.Variable or array): observations (in [0, 1]).
        y (~tracegrad.Variable or array): pre-sigmoid parameters, of ``x``'s shape.
        reduce (str): ``'sum'``, ``'mean'`` or ``'no'`` (elementwise values).

    Returns:
        ~tracegrad.Variable: the negative log-likelihood; a scalar unless ``reduce='no'``.

    >>> x = np.array([1., 0.], np.float32)
    >>> y = np.zeros(2, np.float32)
    >>> F.bernoulli_nll(x, y)
    variable(1.3862944)
    """
    from tracegrad import functions as F

    check_reduce('bernoulli_nll', reduce, _REDUCE_OPTIONS)
    loss = F.softplus(y) - x * y
    return _reduce(loss, reduce)


def gaussian_nll(x, mean, ln_var, reduce='sum'):
    """Negative log-likelihood of ``x`` under ``N(mean, exp(ln_var))`` (diagonal), elementwise.

    Each element contributes ``(ln_var + log(2 pi)) / 2 + (x - mean)**2 / (2 exp(ln_var))``.

    Args:
        x (~tracegrad.Variable or array): observations.
        mean (~tracegrad.Variable or array): the means, of ``x``'s shape.
        ln_var (~tracegrad.Variable or array): the log variances, of ``x``'s shape.
        reduce (str): ``'sum'``, ``'mean'`` or ``'no'`` (elementwise values).

    Returns:
        ~tracegrad.Variable: the negative log-likelihood; a scalar unless ``reduce='no'``.

    >>> x = np.array([0., 1.], np.float32)
    >>> F.gaussian_nll(x, np.zeros(2, np.float32), np.zeros(2, np.float32))
    variable(2.337877)
    """
    from tracegrad import functions as F

    check_reduce('gaussian_nll', reduce, _REDUCE_OPTIONS)
    diff = x - mean
    loss = (ln_var + math.log(2 * math.pi)) * 0.5 + diff * diff * F.exp(-ln_var) * 0.5
    return _reduce(loss, reduce)
