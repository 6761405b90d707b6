"""BlackOut: a sampled softmax loss for very large vocabularies.

Composed of differentiable functions (embedding lookups of ``W``, batched products,
``logsumexp``), so every order of gradient works and the step traces.
"""
from __future__ import annotations

from tracegrad import backend
from tracegrad.functions.loss._checks import check_labels, check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['black_out']

_NAME = 'black_out'
_IGNORE_LABEL = -1


def _check_inputs(x, t, W, samples) -> None:
    def expect(x_type, t_type, w_type, s_type):
        type_check.expect(
            x_type.dtype.kind == 'f',
            x_type.ndim == 2,
            t_type.dtype.kind == 'i',
            t_type.ndim == 1,
            x_type.shape[0] == t_type.shape[0],
            w_type.dtype == x_type.dtype,
            w_type.ndim == 2,
            w_type.shape[1] == x_type.shape[1],
            s_type.dtype.kind == 'i',
            s_type.ndim == 2,
            s_type.shape[0] == x_type.shape[0],
        )
    type_check.check_composite(_NAME, ('x', 't', 'W', 'samples'), (x, t, W, samples), expect)


def _check_samples(samples, n_vocab: int) -> None:
    if not isinstance(samples, backend.DEVICE_ARRAY_TYPES) or samples.size == 0:
        return  # a traced array has no values yet
    bad = (samples < 0) | (samples >= n_vocab)
    if bad.any():
        raise ValueError(f'{_NAME}: each sample must satisfy 0 <= samples < {n_vocab} '
                         f'(W.shape[0]); found {int(samples[bad][0])}')


def black_out(x, t, W, samples, reduce='mean') -> Variable:
    """BlackOut loss: the softmax is taken over the true word and sampled words only.

    With scores :math:`s_y = W_y^\\top x` and
    :math:`p(y) = \\exp(s_y) / \\sum_{y' \\in \\{t\\} \\cup S} \\exp(s_{y'})`,
    the loss of one input is

    .. math::
        -\\log p(t) - \\sum_{s \\in S} \\log (1 - p(s)).

    Inputs with label -1 are ignored (their loss is 0).

    Args:
        x (~tracegrad.Variable or array): inputs of shape ``(N, D)``.
        t (~tracegrad.Variable or array): integer labels of shape ``(N,)``, each in
            ``[0, V)`` or -1.
        W (~tracegrad.Variable or array): the output word vectors ``(V, D)``.
        samples (~tracegrad.Variable or array): integer negative samples of shape
            ``(N, S)``, each in ``[0, V)``.
        reduce (str): ``'mean'`` (the mean over the batch) or ``'no'`` (one loss per
            input, ``(N,)``).

    Returns:
        ~tracegrad.Variable: the loss.

    See: `BlackOut: Speeding up Recurrent Neural Network Language Models With
    Very Large Vocabularies <https://arxiv.org/abs/1511.06909>`_.
    """
    from tracegrad import functions as F

    check_reduce(_NAME, reduce, ('mean', 'no'))
    _check_inputs(x, t, W, samples)
    t_arr = t.array if isinstance(t, Variable) else t
    check_labels(_NAME, W.shape[0], t_arr, _IGNORE_LABEL)
    _check_samples(samples.array if isinstance(samples, Variable) else samples, W.shape[0])
    xp = backend.get_array_module(t_arr)
    counted = t_arr != _IGNORE_LABEL

    x_col = F.expand_dims(x, 2)  # (N, D, 1)
    neg = F.squeeze(F.matmul(F.embed_id(samples, W), x_col), 2)  # (N, S)
    pos = F.squeeze(F.matmul(F.embed_id(xp.where(counted, t_arr, 0)[:, None], W), x_col), 2)
    log_z = F.logsumexp(F.concat([pos, neg], axis=1), axis=1)  # (N,)
    log_not_neg = F.log(1 - F.exp(neg - F.broadcast_to(log_z[:, None], neg.shape)))
    loss = (log_z - pos[:, 0] - F.sum(log_not_neg, axis=1)) * counted.astype(neg.dtype)
    if reduce == 'mean':
        loss = F.average(loss)
    return loss
