"""Connectionist temporal classification (CTC): a sequence loss without alignments.

The loss is a composition of differentiable functions: a log-softmax, a gather of
the log-probabilities of the extended label path (the labels with blanks between
and around them) and the forward recursion over time in the log domain. So it works
on any device, traces, and can be differentiated twice.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy

from tracegrad import backend
from tracegrad.functions.loss._checks import check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import Variable, as_array

__all__ = ['connectionist_temporal_classification']

_NAME = 'connectionist_temporal_classification'
# log(0) stand-in: finite, so that masked terms give zero gradients, not NaN.
_LOG_ZERO = {numpy.dtype(numpy.float16): -1e4}
_LOG_ZERO_DEFAULT = -1e10


def _expect_step(x_type, x0_type) -> None:
    type_check.expect(
        x_type.dtype.kind == 'f',
        x_type.ndim == 2,
        x_type.shape == x0_type.shape,
        x_type.dtype == x0_type.dtype,
    )


def _check_labels(xs, t, input_length, label_length) -> None:
    def expect_labels(x0_type, t_type, in_type, label_type):
        type_check.expect(
            t_type.dtype == numpy.int32,
            t_type.ndim == 2,
            t_type.shape[0] == x0_type.shape[0],
            in_type.dtype == numpy.int32,
            in_type.ndim == 1,
            in_type.shape[0] == x0_type.shape[0],
            label_type.dtype == numpy.int32,
            label_type.ndim == 1,
            label_type.shape[0] == x0_type.shape[0],
        )
    type_check.check_composite(_NAME, ('x[0]', 't', 'input_length', 'label_length'),
                (xs[0], t, input_length, label_length), expect_labels)


def _check_lengths(input_length, label_length, n_time: int, max_label: int) -> None:
    """Lengths beyond the inputs would read padding: refuse them when the values are at hand."""
    for name, lengths, limit, what in (('input_length', input_length, n_time, 'len(x)'),
                                       ('label_length', label_length, max_label,
                                        't.shape[1]')):
        if isinstance(lengths, backend.DEVICE_ARRAY_TYPES) and lengths.size and bool(
                ((lengths < 0) | (lengths > limit)).any()):
            raise ValueError(f'{_NAME}: each {name} must lie in [0, {what} = {limit}], '
                             f'got {lengths.tolist()}')


def connectionist_temporal_classification(
        x, t, blank_symbol, input_length=None, label_length=None, reduce='mean'
) -> Variable:
    """CTC loss: the negative log-probability of label sequences over all alignments.

    At each time step the softmax of ``x[i]`` gives the probabilities of the labels
    and of the blank. An alignment is a label (or blank) per step; it yields a label
    sequence by merging repeated labels and then dropping blanks. The loss of a
    sample is minus the log of the summed probabilities of all its alignments that
    yield its target sequence, computed by the forward algorithm in the log domain.

    Pass unnormalized scores: the softmax is applied here.

    Args:
        x (list or tuple of ~tracegrad.Variable or array): one ``(B, V)`` array of
            label scores per time step (``V`` labels, the blank included).
        t (~tracegrad.Variable or array): int32 target labels ``(B, M)``; only the
            first ``label_length[b]`` of row ``b`` count.
        blank_symbol (int): the index of the blank, in ``[0, V)``.
        input_length (~tracegrad.Variable or array or None): int32 ``(B,)``, the number
            of valid time steps of each sample; None means ``len(x)`` for all.
        label_length (~tracegrad.Variable or array or None): int32 ``(B,)``, the
            length of each target; None means ``M`` for all.
        reduce (str): ``'mean'`` (the mean over samples) or ``'no'`` (``(B,)``).

    Returns:
        ~tracegrad.Variable: the loss; it is differentiable with respect to ``x``.

    See Graves et al., `Connectionist Temporal Classification: Labelling
    Unsegmented Sequence Data with Recurrent Neural Networks
    <https://www.cs.toronto.edu/~graves/icml_2006.pdf>`_.

    >>> x = [np.zeros((1, 3), np.float32)] * 2   # uniform over {blank, a, b}, 2 steps
    >>> t = np.array([[1]], np.int32)            # the target "a"
    >>> loss = F.connectionist_temporal_classification(x, t, 0)
    >>> round(float(loss.array), 4)  # 3 alignments (a-, -a, aa) of 9: -log(3 / 9)
    1.0986
    """
    from tracegrad import functions as F

    if not isinstance(x, Sequence) or isinstance(x, (str, bytes)) or len(x) == 0:
        raise TypeError(f'{_NAME}: x must be a non-empty list or tuple of Variables or '
                        f'arrays (one per time step)')
    if isinstance(blank_symbol, bool) or not isinstance(blank_symbol, (int, numpy.integer)):
        raise TypeError(f'{_NAME}: blank_symbol must be an int, got {blank_symbol!r}')
    check_reduce(_NAME, reduce, ('mean', 'no'))
    for i, step in enumerate(x):
        type_check.check_composite(_NAME, (f'x[{i}]', 'x[0]'), (step, x[0]), _expect_step)
    n_batch, n_vocab = x[0].shape
    if not 0 <= blank_symbol < n_vocab:
        raise ValueError(f'{_NAME}: blank_symbol must lie in [0, {n_vocab}) (x[0].shape[1]), '
                         f'got {blank_symbol}')
    t_arr = as_array(t)
    xp = backend.get_array_module(as_array(x[0]), t_arr)
    if input_length is None:
        input_length = xp.full((n_batch,), len(x), dtype=numpy.int32)
    if label_length is None:
        # (a t of the wrong ndim is reported by the type check just below)
        label_length = xp.full((len(t_arr),), t_arr.shape[-1], dtype=numpy.int32)
    _check_labels(x, t, input_length, label_length)
    input_length, label_length = as_array(input_length), as_array(label_length)
    _check_lengths(input_length, label_length, len(x), t_arr.shape[1])

    n_time, max_label = len(x), t_arr.shape[1]
    n_path = 2 * max_label + 1
    ys = F.log_softmax(F.stack(x, axis=1), axis=2)  # (B, T, V)
    dtype = ys.dtype
    log_zero = dtype.type(_LOG_ZERO.get(dtype, _LOG_ZERO_DEFAULT))

    # The extended path: blank, t0, blank, t1, ..., blank (labels at odd positions).
    blanks = xp.full((n_batch, max_label), blank_symbol, numpy.int32)
    path = xp.concatenate([
        xp.stack([blanks, t_arr.astype(numpy.int32)], axis=2).reshape(n_batch, 2 * max_label),
        xp.full((n_batch, 1), blank_symbol, numpy.int32)], axis=1)  # (B, S)
    position = xp.arange(n_path)
    path_length = (2 * label_length + 1)[:, None]
    on_path = position[None, :] < path_length
    # A step may skip the entry two back unless it holds the same symbol (a blank
    # between blanks, or a label repeated: those need the blank between them).
    previous = xp.concatenate([xp.full((n_batch, 2), -1, numpy.int32), path[:, :-2]], axis=1)
    may_skip = path != previous

    # log p(path[b, s] at time i), gathered by a one-hot product: (B, T, S)
    one_hot = (path[:, None, :] == xp.arange(n_vocab)[None, :, None]).astype(dtype)
    log_prob = F.where(xp.broadcast_to(on_path[:, None, :], (n_batch, n_time, n_path)),
                       F.matmul(ys, one_hot), xp.full((), log_zero, dtype))

    pad1 = xp.full((n_batch, 1), log_zero, dtype)
    pad2 = xp.full((n_batch, 2), log_zero, dtype)
    no_skip = xp.full((n_batch, n_path), log_zero, dtype)
    # At time 0 a path starts with the leading blank or the first label.
    alpha = F.where(position[None, :] < 2, log_prob[:, 0], xp.full((), log_zero, dtype))
    for i in range(1, n_time):
        stay = alpha
        advance = F.concat([pad1, alpha[:, :-1]], axis=1)
        skip = F.where(may_skip, F.concat([pad2, alpha[:, :-2]], axis=1), no_skip)
        moved = F.logsumexp(F.stack([stay, advance, skip], axis=2), axis=2) + log_prob[:, i]
        # Samples shorter than i keep their final alpha.
        alpha = F.where((i < input_length)[:, None], moved, alpha)
    # A path ends on the last label or the trailing blank.
    ends = (position[None, :] == path_length - 1) | (position[None, :] == path_length - 2)
    loss = -F.logsumexp(F.where(ends, alpha, xp.full((), log_zero, dtype)), axis=1)
    if reduce == 'mean':
        loss = F.average(loss)
    return loss
