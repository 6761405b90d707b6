"""CRF1d: a linear-chain conditional random field layer (its transition scores)."""
from __future__ import annotations

from tracegrad import initializers
from tracegrad.functions.array.transpose_sequence import transpose_sequence
from tracegrad.functions.loss.crf1d import argmax_crf1d, crf1d
from tracegrad.link import Link
from tracegrad.variable import Parameter, Variable


def _length_order(xs) -> list:
    """Indices of ``xs`` by decreasing length (ties keep their order)."""
    return sorted(range(len(xs)), key=lambda i: -len(xs[i]))


def _restore(values, order: list) -> list:
    """Undo the permutation ``order``: item ``order[k]`` of the result is ``values[k]``."""
    out = [None] * len(order)
    for k, i in enumerate(order):
        out[i] = values[k]
    return out


class CRF1d(Link):
    """Linear-chain CRF loss layer: holds the transition scores ``cost``.

    Args:
        n_label (int): the number of labels.
        initial_cost: initializer of ``cost`` (an initializer, array or scalar);
            zeros by default.

    Attributes:
        cost (~tracegrad.Parameter): transition scores ``(n_label, n_label)``:
            ``cost[s, t]`` is added when label ``t`` follows label ``s``.

    .. seealso:: :func:`~tracegrad.functions.crf1d`,
       :func:`~tracegrad.functions.argmax_crf1d`.

    >>> crf = L.CRF1d(3)
    >>> xs = [np.ones((2, 3), np.float32), np.ones((1, 3), np.float32)]
    >>> ys = [np.array([0, 1], np.int32), np.array([2], np.int32)]
    >>> round(float(crf(xs, ys).array), 4)  # all paths equally likely: (2 + 1) log 3 / 2
    1.6479
    """

    def __init__(self, n_label, initial_cost=None):
        super().__init__()
        if initial_cost is None:
            initial_cost = initializers.Zero()
        with self.init_scope():
            self.cost = Parameter(initializers._get_initializer(initial_cost),
                                  (n_label, n_label))

    def forward(self, xs, ys, reduce='mean', transpose=False):
        """The negative log-likelihood of the label sequences ``ys``.

        Args:
            xs (list of ~tracegrad.Variable or array): label scores: one ``(B_i, K)``
                array per time step (batches sorted by decreasing length), or with
                ``transpose=True`` one ``(length, K)`` array per sequence, in any order.
            ys (list of ~tracegrad.Variable or array): the true labels, laid out
                as ``xs``.
            reduce (str): ``'mean'`` or ``'no'`` (one loss per sequence).
            transpose (bool): whether ``xs`` and ``ys`` hold one array per sequence;
                they are sorted and transposed here (with ``reduce='no'`` the losses
                come back in the order of the given sequences).

        Returns:
            ~tracegrad.Variable: the loss.
        """
        if not transpose:
            return crf1d(self.cost, xs, ys, reduce)
        order = _length_order(xs)
        steps_x = transpose_sequence([xs[i] for i in order])
        steps_y = [y.array for y in transpose_sequence([ys[i] for i in order])]
        loss = crf1d(self.cost, steps_x, steps_y, reduce)
        if reduce == 'no':
            from tracegrad import functions as F

            inverse = _restore(list(range(len(order))), order)
            loss = F.get_item(loss, loss.xp.asarray(inverse))
        return loss

    def argmax(self, xs, transpose=False):
        """The best label sequences (Viterbi) and their scores.

        Args:
            xs (list of ~tracegrad.Variable or array): laid out as in :meth:`forward`.
            transpose (bool): whether ``xs`` holds one array per sequence; then the
                scores and paths come back per sequence, in the given order.

        Returns:
            tuple: ``(score, path)``: the score Variable ``(B,)`` and the labels, one
            int32 array per time step (or per sequence with ``transpose=True``).
        """
        if not transpose:
            return argmax_crf1d(self.cost, xs)
        from tracegrad import functions as F

        order = _length_order(xs)
        score, steps = argmax_crf1d(self.cost, transpose_sequence([xs[i] for i in order]))
        paths = [p.array if isinstance(p, Variable) else p
                 for p in transpose_sequence(steps)]
        inverse = _restore(list(range(len(order))), order)
        return F.get_item(score, score.xp.asarray(inverse)), _restore(paths, order)
