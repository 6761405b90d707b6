"""Per-class precision, recall, F-beta score and support of a minibatch (not differentiable)."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.functions.evaluation.accuracy import check_scores_and_labels
from tracegrad.variable import Variable

__all__ = ['classification_summary', 'f1_score', 'fbeta_score', 'precision', 'recall']


class ClassificationSummary(FunctionNode):
    """``(precision, recall, fbeta, support)`` per class, from scores and labels."""

    label = 'classification_summary'

    def __init__(self, label_num: int, beta: float, ignore_label: int):
        self.label_num = label_num
        self.beta = beta
        self.ignore_label = ignore_label

    def check_type_forward(self, in_types):
        check_scores_and_labels(in_types)

    def forward(self, inputs):
        y, t = inputs
        xp = backend.get_array_module(y)
        dtype = y.dtype
        true = t.reshape(-1)
        counted = true != self.ignore_label
        pred = y.argmax(axis=1).reshape(-1)
        # Counts per class as sums of one-hot rows (no bincount: it has no IR primitive).
        # Labels and predictions outside [0, label_num) are counted in no class.
        classes = xp.arange(self.label_num, dtype=true.dtype)[None, :]
        is_true = (true[:, None] == classes) & counted[:, None]
        is_pred = (pred[:, None] == classes) & counted[:, None]
        support = is_true.sum(axis=0)
        relevant = is_pred.sum(axis=0).astype(dtype)
        tp = (is_true & is_pred).sum(axis=0).astype(dtype)
        precision = _ratio(xp, tp, relevant)
        recall = _ratio(xp, tp, support.astype(dtype))
        b2 = dtype.type(self.beta * self.beta)
        fbeta = _ratio(xp, (1 + b2) * precision * recall, b2 * precision + recall)
        return precision, recall, fbeta, support.astype('int64')


def _ratio(xp, num, den):
    """``num / den``, NaN where ``den`` is 0 (as 0 / 0 gives in Chainer), without warnings."""
    zero = den == 0
    safe = xp.where(zero, den.dtype.type(1), den)
    return xp.where(zero, den.dtype.type('nan'), num / safe)


def _summary(func_name, y, t, label_num, beta, ignore_label) -> tuple:
    if label_num is None:  # the largest label + 1, as Chainer: needs the values at hand
        labels = t.array if isinstance(t, Variable) else t
        if not isinstance(labels, backend.DEVICE_ARRAY_TYPES):  # traced: no values yet
            from tracegrad.compile.tracer import CompileError

            raise CompileError(f'{func_name}: label_num=None (the largest label + 1) '
                               f'cannot be traced; pass label_num')
        label_num = int(labels.max()) + 1 if labels.size else 0
    elif int(label_num) < 0:
        raise ValueError(f'{func_name}: label_num must be non-negative, got {label_num}')
    return ClassificationSummary(int(label_num), float(beta), ignore_label).apply((y, t))


def classification_summary(y, t, label_num=None, beta=1.0, ignore_label=-1) -> tuple:
    """Precision, recall, F-beta score and support of each class in a minibatch.

    With ``tp``, ``fp`` and ``fn`` the numbers of true positives, false positives and
    false negatives of a class:

    - precision is ``tp / (tp + fp)``,
    - recall is ``tp / (tp + fn)``,
    - the F-beta score is ``(1 + beta**2) * precision * recall /
      (beta**2 * precision + recall)``,
    - the support is the number of samples whose label is the class.

    A ratio whose denominator is 0 is NaN. The predicted class of sample
    ``(i, k, ...)`` is ``argmax_j y[i, j, k, ...]``.

    Args:
        y (~tracegrad.Variable or array): scores ``(N, C, ...)``.
        t (~tracegrad.Variable or array): integer labels ``(N, ...)``.
        label_num (int or None): the number of classes; None takes the largest label
            in ``t`` plus one.
        beta (float): the weight of recall against precision in the F-beta score.
        ignore_label (int): samples with this label are left out. It must not be a
            class index (in ``[0, label_num)``).

    Returns:
        tuple of four ~tracegrad.Variable of shape ``(label_num,)``: precision, recall
        and F-beta score (of ``y``'s dtype) and support (int64). They are not
        differentiable.

    >>> y = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]], np.float32)
    >>> t = np.array([0, 1, 1, -1], np.int32)
    >>> p, r, f, s = F.classification_summary(y, t)
    >>> p.array, r.array, s.array
    (array([0.5, 1. ], dtype=float32), array([1. , 0.5], dtype=float32), array([1, 2]))
    """
    return _summary('classification_summary', y, t, label_num, beta, ignore_label)


def precision(y, t, label_num=None, ignore_label=-1) -> tuple:
    """Per-class precision and support: ``(precision, support)``.

    See :func:`classification_summary` for the arguments.
    """
    p, _, _, support = _summary('precision', y, t, label_num, 1.0, ignore_label)
    return p, support


def recall(y, t, label_num=None, ignore_label=-1) -> tuple:
    """Per-class recall and support: ``(recall, support)``.

    See :func:`classification_summary` for the arguments.
    """
    _, r, _, support = _summary('recall', y, t, label_num, 1.0, ignore_label)
    return r, support


def fbeta_score(y, t, label_num=None, beta=1.0, ignore_label=-1) -> tuple:
    """Per-class F-beta score and support: ``(fbeta, support)``.

    See :func:`classification_summary` for the arguments.
    """
    _, _, f, support = _summary('fbeta_score', y, t, label_num, beta, ignore_label)
    return f, support


def f1_score(y, t, label_num=None, ignore_label=-1) -> tuple:
    """Per-class F1 score (the F-beta score with ``beta = 1``) and support: ``(f1, support)``.

    See :func:`classification_summary` for the arguments.
    """
    _, _, f, support = _summary('f1_score', y, t, label_num, 1.0, ignore_label)
    return f, support
