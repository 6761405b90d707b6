"""Linear-chain conditional random fields: the loss (``crf1d``) and Viterbi decoding.

Sequences of different lengths come as a batch per time step, sorted by decreasing
length (what ``transpose_sequence`` makes): step ``i`` holds the rows of the
sequences longer than ``i``, so the batch of each step is a prefix of the previous
one's. Both functions are compositions of differentiable functions.
"""
from __future__ import annotations

from tracegrad import backend
from tracegrad.functions.loss._checks import check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import Variable, as_array

__all__ = ['argmax_crf1d', 'crf1d']


def _expect_step(cost_type, x_type, prev_type) -> None:
    type_check.expect(
        cost_type.dtype.kind == 'f',
        cost_type.ndim == 2,
        cost_type.shape[0] == cost_type.shape[1],
        x_type.dtype == cost_type.dtype,
        x_type.ndim == 2,
        x_type.shape[1] == cost_type.shape[0],
        x_type.shape[0] <= prev_type.shape[0],
    )


def _expect_labels(x_type, y_type) -> None:
    type_check.expect(
        y_type.dtype.kind == 'i',
        y_type.ndim == 1,
        y_type.shape[0] == x_type.shape[0],
    )


def _check_steps(func_name: str, cost, xs, ys=None) -> None:
    if len(xs) == 0:
        raise ValueError(f'{func_name}: xs must hold at least one time step')
    if ys is not None and len(ys) != len(xs):
        raise ValueError(f'{func_name}: xs and ys must have the same length (time steps), '
                         f'got {len(xs)} and {len(ys)}')
    for i, x in enumerate(xs):
        prev = max(i - 1, 0)
        type_check.check_composite(func_name, ('cost', f'xs[{i}]', f'xs[{prev}]'), (cost, x, xs[prev]),
                    _expect_step)
        if ys is not None:
            type_check.check_composite(func_name, (f'xs[{i}]', f'ys[{i}]'), (x, ys[i]), _expect_labels)


def _step_scores(alpha, cost):
    """``alpha[b, s] + cost[s, t]`` as a ``(B, K, K)`` Variable."""
    from tracegrad import functions as F

    shape = alpha.shape + (alpha.shape[1],)
    return F.broadcast_to(F.expand_dims(alpha, 2), shape) + F.broadcast_to(cost, shape)


def crf1d(cost, xs, ys, reduce='mean') -> Variable:
    """Negative log-likelihood of label sequences under a linear-chain CRF.

    With :math:`c_{st}` the cost (score) of a transition from label :math:`s` to
    :math:`t`, :math:`x_{it}` the score of label :math:`t` at position :math:`i` and
    :math:`y_i` the true label there, the loss of a sequence of length :math:`l` is

    .. math::
        L = -\\left( \\sum_{i=1}^l x_{iy_i} + \\sum_{i=1}^{l-1} c_{y_i y_{i+1}}
        - \\log Z \\right),

    where :math:`Z`, the partition function, sums the exponentiated scores of every
    label sequence (computed by the forward algorithm).

    Sequences of different lengths are passed transposed: sort them by decreasing
    length and make one batch per time step with
    :func:`~tracegrad.functions.transpose_sequence`, for ``xs`` and ``ys`` alike.

    Args:
        cost (~tracegrad.Variable or array): transition scores ``(K, K)``.
        xs (list of ~tracegrad.Variable or array): one ``(B_i, K)`` array of label
            scores per time step, with ``B_0 >= B_1 >= ...``.
        ys (list of ~tracegrad.Variable or array): the true labels, one integer
            ``(B_i,)`` array per time step.
        reduce (str): ``'mean'`` (the sum of the sequences' losses divided by their
            number ``B_0``) or ``'no'`` (one loss per sequence, ``(B_0,)``).

    Returns:
        ~tracegrad.Variable: the loss.

    See `Conditional Random Fields: Probabilistic Models for Segmenting and
    Labeling Sequence Data <https://repository.upenn.edu/cis_papers/159/>`_.

    >>> a1 = a2 = a3 = a4 = np.random.uniform(-1, 1, 3).astype(np.float32)
    >>> b1 = b2 = b3 = np.random.uniform(-1, 1, 3).astype(np.float32)
    >>> c1 = c2 = np.random.uniform(-1, 1, 3).astype(np.float32)
    >>> x1 = np.stack([a1, b1, c1])
    >>> x2 = np.stack([a2, b2, c2])
    >>> x3 = np.stack([a3, b3])
    >>> x4 = np.stack([a4])
    >>> xs = [x1, x2, x3, x4]
    >>> cost = chainer.Variable(
    ...     np.random.uniform(-1, 1, (3, 3)).astype(np.float32))
    >>> ys = [np.zeros(x.shape[0:1], dtype=np.int32) for x in xs]
    >>> loss = F.crf1d(cost, xs, ys)
    >>> loss.shape
    ()
    """
    from tracegrad import functions as F

    check_reduce('crf1d', reduce, ('mean', 'no'))
    _check_steps('crf1d', cost, xs, ys)
    n_label = cost.shape[0]
    n_batch = xs[0].shape[0]
    xp = backend.get_array_module(as_array(xs[0]))

    # Forward algorithm: alpha[b, t] = log of the summed scores of all paths ending in t.
    alpha = xs[0]
    finished = []  # alphas of sequences that ended, the longest-lived first
    for x in xs[1:]:
        batch = x.shape[0]
        if alpha.shape[0] > batch:  # one split node (slices would each scatter back)
            alpha, ended = F.split_axis(alpha, [batch], axis=0)
            finished.append(ended)
        alpha = F.logsumexp(_step_scores(alpha, cost), axis=1) + x
    log_z = F.logsumexp(F.concat([alpha, *finished[::-1]], axis=0), axis=1)

    # The score of the true path, step by step; each step adds to a prefix of the rows.
    transitions = F.reshape(cost, (n_label * n_label, 1))
    score = F.select_item(xs[0], ys[0])
    for x, y, y_prev in zip(xs[1:], ys[1:], ys[:-1]):
        batch = x.shape[0]
        y, y_prev = as_array(y), as_array(y_prev)[:batch]
        step = F.select_item(x, y) + F.reshape(
            F.embed_id(y_prev * n_label + y, transitions), (batch,))
        if batch < n_batch:
            step = F.concat([step, xp.zeros((n_batch - batch,), step.dtype)], axis=0)
        score = score + step
    loss = log_z - score
    if reduce == 'mean':
        return F.sum(loss) / n_batch
    return loss


def argmax_crf1d(cost, xs) -> tuple:
    """The most likely label sequences under a linear-chain CRF (Viterbi decoding).

    Args:
        cost (~tracegrad.Variable or array): transition scores ``(K, K)``.
        xs (list of ~tracegrad.Variable or array): one ``(B_i, K)`` array of label
            scores per time step, with ``B_0 >= B_1 >= ...`` (see :func:`crf1d`).

    Returns:
        tuple: ``(score, path)``. ``score`` is a Variable ``(B_0,)``, the score of the
        best label sequence of each sequence; ``path`` is a list of ``len(xs)`` int32
        arrays, ``path[i]`` of shape ``(B_i,)`` holding the best labels at step ``i``.

    >>> cost = np.array([[0., -5.], [-5., 0.]], np.float32)  # switching labels is costly
    >>> xs = [np.array([[1., 0.]], np.float32), np.array([[0., 0.5]], np.float32)]
    >>> score, path = F.argmax_crf1d(cost, xs)
    >>> score.array, [p.tolist() for p in path]
    (array([1.], dtype=float32), [[0], [0]])
    """
    from tracegrad import functions as F

    _check_steps('argmax_crf1d', cost, xs)
    xp = backend.get_array_module(as_array(xs[0]))
    alpha = xs[0] if isinstance(xs[0], Variable) else Variable(xs[0], requires_grad=False)
    finished = []   # per step: alphas of the sequences that ended before it (or None)
    backpointers = []  # per step: the best previous label of each (row, label)
    for x in xs[1:]:
        batch = x.shape[0]
        if alpha.shape[0] > batch:
            alpha, ended = F.split_axis(alpha, [batch], axis=0)
            finished.append(ended)
        else:
            finished.append(None)
        scores = _step_scores(alpha, cost)
        backpointers.append(scores.array.argmax(axis=1))
        alpha = F.max(scores, axis=1) + x

    labels = alpha.array.argmax(axis=1)
    path = [labels]
    best = [F.max(alpha, axis=1)]
    for pointers, ended in zip(backpointers[::-1], finished[::-1]):
        labels = xp.take_along_axis(pointers, labels[:, None], axis=1)[:, 0]
        if ended is not None:  # these sequences end at this step: they start their path
            labels = xp.concatenate([labels, ended.array.argmax(axis=1)])
            best.append(F.max(ended, axis=1))
        path.append(labels)
    score = F.concat(best, axis=0) if len(best) > 1 else best[0]
    return score, [p.astype('int32') for p in path[::-1]]
