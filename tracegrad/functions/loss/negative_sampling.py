"""Negative sampling: a cheap stand-in for a softmax over a large vocabulary.

The loss is a composition of differentiable functions (an embedding lookup of the
sampled rows of ``W``, a batched product with ``x`` and a softplus), so every order
of gradient works and the step traces. The samples are drawn before the loss, in the
public function, as dropout draws its mask: while tracing, a
:class:`~tracegrad.utils.WalkerAlias` sampler draws through the tracer's namespace,
so a compiled step draws fresh samples on every call.
"""
from __future__ import annotations

import numpy

from tracegrad import backend
from tracegrad.functions.loss._checks import check_labels, check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import as_array

__all__ = ['negative_sampling']

_NAME = 'negative_sampling'
_IGNORE_LABEL = -1


def draw_samples(func_name: str, sampler, x, shape: tuple):
    """``sampler(shape)`` as an array on ``x``'s device.

    While tracing, a sampler that is a :class:`~tracegrad.utils.WalkerAlias` (or its
    bound ``sample`` method) draws with the tracer's namespace; any other sampler
    would return fixed numbers that the compiled step would reuse on every call, so
    it raises :class:`~tracegrad.CompileError`.
    """
    from tracegrad.compile.tracer import CompileError, tracer_numpy

    xp = backend.get_array_module(x)
    if xp is tracer_numpy:
        owner = sampler if hasattr(sampler, 'sample_xp') else getattr(sampler, '__self__', None)
        if not hasattr(owner, 'sample_xp'):
            raise CompileError(f'{func_name}: the sampler {sampler!r} cannot be traced (its '
                               f'draws would be baked into the compiled step); use a '
                               f'tracegrad.utils.WalkerAlias sampler')
        return owner.sample_xp(xp, shape)
    samples = sampler(shape) if not hasattr(sampler, 'sample_xp') else sampler.sample(shape)
    return backend.get_device_from_array(as_array(x)).send(samples)


def expect_word_inputs(x_type, t_type, w_type) -> None:
    """Type expectations of a word-output loss: inputs ``x`` ``(N, D)``, int32 words
    ``t`` ``(N,)`` and output word vectors ``W`` ``(rows, D)`` of ``x``'s dtype."""
    type_check.expect(
        x_type.dtype.kind == 'f',
        x_type.ndim == 2,
        t_type.dtype == numpy.int32,
        t_type.ndim == 1,
        x_type.shape[0] == t_type.shape[0],
        w_type.dtype == x_type.dtype,
        w_type.ndim == 2,
        w_type.shape[1] == x_type.shape[1],
    )


def negative_sampling(x, t, W, sampler, sample_size, reduce='sum', **kwargs):
    """negative_sampling(x, t, W, sampler, sample_size, reduce='sum', *, \
return_samples=False)

    Negative sampling loss (word2vec's): instead of normalizing over the whole
    vocabulary, each input is scored against its true word and ``sample_size``
    words drawn from ``sampler``.

    For an input ``x_n`` with label ``p`` and sampled words ``N``, the loss is

    .. math::
        -\\log \\sigma(x_n^\\top w_p) - \\sum_{i \\in N} \\log \\sigma(-x_n^\\top w_i),

    where :math:`\\sigma` is the sigmoid and :math:`w_i` the ``i``-th row of ``W``.
    Samples with label -1 are ignored (their loss is 0).

    Args:
        x (~tracegrad.Variable or array): inputs of shape ``(N, D)``.
        t (~tracegrad.Variable or array): int32 labels of shape ``(N,)``, each in
            ``[0, V)`` or -1.
        W (~tracegrad.Variable or array): the output word vectors ``(V, D)``.
        sampler (callable): takes a shape and returns an integer array of that shape
            of words drawn from the noise distribution, such as the ``sample`` method
            of a :class:`~tracegrad.utils.WalkerAlias` built from word counts.
        sample_size (int): the number of negative samples per input.
        reduce (str): ``'sum'`` (a scalar) or ``'no'`` (one loss per input, ``(N,)``).
        return_samples (bool): also return the samples: an int32 array of shape
            ``(N, sample_size + 1)`` whose first column holds ``t`` and the others
            the drawn words.

    Returns:
        ~tracegrad.Variable, or ``(Variable, samples)`` with ``return_samples=True``.

    See: `Distributed Representations of Words and Phrases and their
    Compositionality <https://arxiv.org/abs/1310.4546>`_.
    """
    from tracegrad import functions as F

    return_samples = kwargs.pop('return_samples', False)
    if kwargs:
        raise TypeError(f'{_NAME}() got unexpected keyword argument(s) '
                        f'{", ".join(sorted(kwargs))}')
    check_reduce(_NAME, reduce, ('sum', 'no'))
    if int(sample_size) < 0:
        raise ValueError(f'{_NAME}: sample_size must be non-negative, got {sample_size}')
    type_check.check_composite(_NAME, ('x', 't', 'W'), (x, t, W), expect_word_inputs)
    t_arr = as_array(t)
    check_labels(_NAME, W.shape[0], t_arr, _IGNORE_LABEL)
    xp = backend.get_array_module(t_arr, as_array(x))

    drawn = draw_samples(_NAME, sampler, x, (len(t_arr), int(sample_size) + 1))
    # The first column is the true word; the sampler's draw there is replaced.
    samples = xp.concatenate([t_arr[:, None], drawn[:, 1:].astype(t_arr.dtype)], axis=1)
    counted = t_arr != _IGNORE_LABEL
    rows = F.embed_id(xp.where(counted[:, None], samples, 0), W)  # (N, S + 1, D)
    scores = F.squeeze(F.matmul(rows, F.expand_dims(x, 2)), 2)  # w_i . x_n
    dtype = scores.dtype
    # -log sigma(s) = softplus(-s) for the true word, softplus(s) for the samples
    sign = xp.concatenate([xp.full((1,), -1, dtype), xp.ones((int(sample_size),), dtype)])
    loss = F.sum(F.softplus(scores * sign), axis=1) * counted.astype(dtype)
    if reduce == 'sum':
        loss = F.sum(loss)
    if return_samples:
        return loss, samples
    return loss
