"""Discriminative margin-based clustering loss (instance segmentation by pixel embeddings)."""
from __future__ import annotations

import numpy

from tracegrad import backend
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['discriminative_margin_based_clustering_loss']

_NAME = 'discriminative_margin_based_clustering_loss'
# L2 norms are taken of at least this squared length, so that a zero vector (a pixel
# at its centre, two absent instances) gives a zero gradient instead of 0 / 0; float16
# needs a floor it can hold (1e-12 rounds to 0 there).
_MIN_SQUARED_NORM = {numpy.dtype(numpy.float16): 1e-7}
_MIN_SQUARED_NORM_DEFAULT = 1e-12


def _norm(x, axis, p: int):
    from tracegrad import functions as F

    if p == 1:
        return F.sum(F.absolute(x), axis=axis)
    xp = x.xp
    squared = F.sum(x * x, axis=axis)
    floor = _MIN_SQUARED_NORM.get(squared.dtype, _MIN_SQUARED_NORM_DEFAULT)
    return F.sqrt(F.maximum(squared, xp.full(squared.shape, floor, squared.dtype)))


def discriminative_margin_based_clustering_loss(
        embeddings, labels, delta_v, delta_d, max_embedding_dim,
        norm=1, alpha=1.0, beta=1.0, gamma=0.001) -> tuple:
    """Discriminative loss of pixel embeddings for instance segmentation.

    Pixels of the same instance are pulled toward their instance's mean embedding
    (the centre) and the centres of different instances are pushed apart; a small
    term keeps the centres near the origin. Instance ``c`` (for ``c`` in
    ``[0, max_embedding_dim)``) is the set of pixels labelled ``c + 1``; label 0
    is the background. With ``||.||`` the L1 or L2 norm and :math:`\\mu_{cb}` the
    centre of instance ``c`` in image ``b``:

    - variance: :math:`\\max(\\|\\mu_{cb} - e_p\\| - \\delta_v, 0)^2` summed over
      the pixels ``p`` of each instance, divided by its pixel count, summed over
      instances and divided by ``max_embedding_dim``;
    - distance: :math:`\\max(2 \\delta_d - \\|\\mu_{c_a b} - \\mu_{c_b b}\\|, 0)^2`
      summed over pairs of instances and images, divided by their number;
    - regularization: the norms of the centres of each instance (over images and
      embedding dimensions together), summed and divided by
      ``max_embedding_dim * batch size``.

    As in Chainer, every one of the ``max_embedding_dim`` instances takes part,
    also those with no pixels (their centre is 0).

    Args:
        embeddings (~tracegrad.Variable or array): pixel embeddings
            ``(B, max_embedding_dim, H, W)``.
        labels (array): integer instance labels ``(B, H, W)``.
        delta_v (float): the distance to the centre below which a pixel costs nothing.
        delta_d (float): half the distance between centres beyond which they cost
            nothing.
        max_embedding_dim (int): the embedding size, which is also the number of
            instances considered.
        norm (int): 1 (L1) or 2 (L2).
        alpha (float): the weight of the variance term.
        beta (float): the weight of the distance term.
        gamma (float): the weight of the regularization term.

    Returns:
        tuple of three ~tracegrad.Variable: the variance, distance and
        regularization terms, each times its weight.

    See De Brabandere et al., `Semantic Instance Segmentation with a
    Discriminative Loss Function <https://arxiv.org/abs/1708.02551>`_.

    >>> emb = np.zeros((1, 2, 1, 2), np.float32)
    >>> emb[0, :, 0, 1] = 1                       # pixel 1 embedded at (1, 1)
    >>> labels = np.array([[[1, 2]]], np.int32)   # two instances of one pixel
    >>> l_var, l_dist, l_reg = F.discriminative_margin_based_clustering_loss(
    ...     emb, labels, 0.5, 1.5, 2)
    >>> l_var.array, l_dist.array, l_reg.array    # centres 2 apart (L1): (3 - 2) ** 2
    (array(0., dtype=float32), array(1., dtype=float32), array(0.001, dtype=float32))
    """
    from tracegrad import functions as F

    if int(max_embedding_dim) <= 0:
        raise ValueError(f'{_NAME}: max_embedding_dim must be positive, got {max_embedding_dim}')
    if norm not in (1, 2):
        raise ValueError(f'{_NAME}: norm must be 1 or 2, got {norm!r}')
    n_inst = int(max_embedding_dim)

    def expect(e_type, l_type):
        type_check.expect(
            e_type.dtype.kind == 'f',
            e_type.ndim == 4,
            e_type.shape[1] == n_inst,
            l_type.dtype.kind == 'i',
            l_type.ndim == 3,
            l_type.shape[0] == e_type.shape[0],
            l_type.shape[1:] == e_type.shape[2:],
        )
    type_check.check_composite(_NAME, ('embeddings', 'labels'), (embeddings, labels), expect)
    labels = labels.array if isinstance(labels, Variable) else labels
    if not isinstance(embeddings, Variable):
        embeddings = Variable(embeddings, requires_grad=False)
    xp = backend.get_array_module(labels)
    n_batch, dim, height, width = embeddings.shape
    dtype = embeddings.dtype

    # masks[c, b, p]: pixel p of image b belongs to instance c (label c + 1)
    instance_ids = xp.arange(1, n_inst + 1, dtype=labels.dtype)[:, None, None]
    masks = (labels.reshape(1, n_batch, height * width) == instance_ids).astype(dtype)
    counts = masks.sum(axis=2)  # (C, B)
    pixels = F.reshape(embeddings, (1, n_batch, dim, height * width))
    # centres[c, b] = the mean embedding of instance c in image b (0 if it is absent)
    sums = F.squeeze(F.matmul(F.broadcast_to(pixels, (n_inst, n_batch, dim, height * width)),
                              masks[..., None]), 3)  # (C, B, D)
    centres = sums / xp.maximum(counts, dtype.type(1))[:, :, None]

    # regularization: each instance's centres, all images and dimensions in one norm
    l_reg = F.sum(_norm(centres, (1, 2), norm)) / (n_inst * n_batch)

    # variance: pixels farther than delta_v from their centre
    offsets = (F.broadcast_to(F.expand_dims(centres, 3), (n_inst, n_batch, dim, height * width))
               - F.broadcast_to(pixels, (n_inst, n_batch, dim, height * width)))
    spread = _norm(offsets * masks[:, :, None, :], 2, norm)  # (C, B, HW)
    pulled = F.sum(F.relu(spread - delta_v) ** 2 * masks, axis=(1, 2))
    l_var = F.sum(pulled / xp.maximum(masks.sum(axis=(1, 2)), dtype.type(1))) / n_inst

    # distance: pairs of centres (of the same image) nearer than 2 delta_d
    shape = (n_inst, n_inst, n_batch, dim)
    gaps = (F.broadcast_to(F.expand_dims(centres, 1), shape)
            - F.broadcast_to(F.expand_dims(centres, 0), shape))
    pushed = F.relu(2 * delta_d - _norm(gaps, 3, norm)) ** 2  # (C, C, B)
    ids = xp.arange(n_inst)
    upper = (ids[:, None] < ids[None, :]).astype(dtype)[:, :, None]  # each pair once
    n_pairs = n_inst * (n_inst - 1) // 2
    l_dist = F.sum(pushed * upper) / max(n_pairs * n_batch, 1)
    return alpha * l_var, beta * l_dist, gamma * l_reg
