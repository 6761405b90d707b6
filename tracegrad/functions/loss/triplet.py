"""Triplet loss (metric learning with an anchor, a positive and a negative example)."""
from __future__ import annotations

from tracegrad.functions.loss._checks import check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['triplet']

_NAME = 'triplet'


def triplet(anchor, positive, negative, margin=0.2, reduce='mean') -> Variable:
    """Triplet loss: the anchor should be nearer the positive than the negative by ``margin``.

    For the ``i``-th triplet, with squared distances :math:`d(a, b) = \\| a - b \\|_2^2`,

    .. math::
        L_i = \\max \\{ d(a_i, p_i) - d(a_i, n_i) + margin, 0 \\}.

    It is a composition of differentiable functions, so every order of gradient works.

    Args:
        anchor (~tracegrad.Variable or array): the anchors, ``(N, K)``.
        positive (~tracegrad.Variable or array): examples like the anchors, ``(N, K)``.
        negative (~tracegrad.Variable or array): examples unlike them, ``(N, K)``.
        margin (float): the required gap between the distances; must be positive.
        reduce (str): ``'mean'`` (the mean over triplets) or ``'no'`` (``(N,)``).

    Returns:
        ~tracegrad.Variable: the loss.

    See `Learning Fine-grained Image Similarity with Deep Ranking
    <https://arxiv.org/abs/1404.4661>`_.

    .. admonition:: Example

        >>> anchor = np.array([[-2.0, 3.0, 0.5], [5.0, 2.0, -0.5]]).astype(np.float32)
        >>> pos = np.array([[-2.1, 2.8, 0.5], [4.9, 2.0, -0.4]]).astype(np.float32)
        >>> neg = np.array([[-2.1, 2.7, 0.7], [4.9, 2.0, -0.7]]).astype(np.float32)
        >>> F.triplet(anchor, pos, neg)
        variable(0.14000003)
        >>> y = F.triplet(anchor, pos, neg, reduce='no')
        >>> y.shape
        (2,)
        >>> y.array
        array([0.11000005, 0.17      ], dtype=float32)
        >>> F.triplet(anchor, pos, neg, margin=0.5)  # harder penalty
        variable(0.44000003)
    """
    from tracegrad import functions as F

    if margin <= 0:
        raise ValueError(f'{_NAME}: margin must be positive, got {margin}')
    check_reduce(_NAME, reduce, ('mean', 'no'))

    def expect(a_type, p_type, n_type):
        type_check.expect(
            a_type.dtype.kind == 'f',
            a_type.dtype == p_type.dtype,
            a_type.dtype == n_type.dtype,
            a_type.ndim == 2,
            a_type.shape == p_type.shape,
            a_type.shape == n_type.shape,
            a_type.shape[0] > 0,
        )
    type_check.check_composite(_NAME, ('anchor', 'positive', 'negative'), (anchor, positive, negative), expect)
    to_pos = anchor - positive
    to_neg = anchor - negative
    loss = F.relu(F.sum(to_pos * to_pos - to_neg * to_neg, axis=1) + margin)
    if reduce == 'mean':
        loss = F.average(loss)
    return loss
