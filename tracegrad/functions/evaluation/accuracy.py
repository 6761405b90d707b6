"""Classification accuracy of a minibatch (not differentiable)."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check

__all__ = ['accuracy', 'binary_accuracy']


def check_scores_and_labels(in_types) -> None:
    """Scores ``x`` ``(N, C, ...)`` and integer labels ``t`` ``(N, ...)`` of a classifier;
    axes of ``x`` past those of ``t`` must have length 1."""
    type_check._argname(in_types, ('x', 't'))
    x_type, t_type = in_types
    type_check.expect(
        x_type.dtype.kind == 'f',
        t_type.dtype.kind == 'i',
    )
    t_ndim = t_type.ndim.eval()
    type_check.expect(
        x_type.ndim >= t_type.ndim + 1,
        x_type.shape[0] == t_type.shape[0],
        x_type.shape[2:t_ndim + 1] == t_type.shape[1:],
    )
    for i in range(t_ndim + 1, x_type.ndim.eval()):
        type_check.expect(x_type.shape[i] == 1)


class Accuracy(FunctionNode):
    """Fraction of samples whose arg-max class over axis 1 equals the label."""

    label = 'accuracy'

    def __init__(self, ignore_label=None):
        self.ignore_label = ignore_label

    def check_type_forward(self, in_types):
        check_scores_and_labels(in_types)

    def forward(self, inputs):
        y, t = inputs
        xp = backend.get_array_module(y)
        correct = y.argmax(axis=1).reshape(t.shape) == t
        if self.ignore_label is None:
            return xp.asarray(correct.mean(dtype=y.dtype)),
        counted = t != self.ignore_label
        n_correct = (correct & counted).sum(dtype=y.dtype)
        total = counted.sum(dtype=y.dtype)
        # No counted label at all gives 0, without a division by zero.
        acc = xp.where(total > 0, n_correct / xp.maximum(total, y.dtype.type(1)),
                       y.dtype.type(0))
        return xp.asarray(acc, dtype=y.dtype),


class BinaryAccuracy(FunctionNode):
    """Fraction of labels matched by ``y >= 0``; labels equal to -1 are not counted."""

    label = 'binary_accuracy'
    ignore_label = -1

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 't'))
        x_type, t_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            t_type.dtype.kind == 'i',
            t_type.shape == x_type.shape,
        )

    def forward(self, inputs):
        y, t = inputs
        xp = backend.get_array_module(y)
        n_correct = ((y >= 0) == t).sum(dtype=y.dtype)
        total = xp.maximum((t != self.ignore_label).sum(dtype=y.dtype), y.dtype.type(1))
        return xp.asarray(n_correct / total, dtype=y.dtype),


def accuracy(y, t, ignore_label=None):
    """Multiclass classification accuracy of a minibatch.

    The predicted label of sample ``(i, k, ...)`` is ``argmax_j y[i, j, k, ...]``.

    Args:
        y (~tracegrad.Variable or array): scores of shape ``(N, C, ...)``.
        t (~tracegrad.Variable or array): integer labels of shape ``(N, ...)``.
        ignore_label (int or None): samples with this label are left out of the count.

    Returns:
        ~tracegrad.Variable: a scalar of ``y``'s dtype, the fraction of correct
        predictions (0 when every label is ignored). It is not differentiable.

    .. admonition:: Example

        The most common case, ``y`` of two dimensions:

        >>> y = np.array([[0.1, 0.7, 0.2], # prediction label is 1
        ...               [8.0, 1.0, 2.0], # prediction label is 0
        ...               [-8.0, 1.0, 2.0], # prediction label is 2
        ...               [-8.0, -1.0, -2.0]]) # prediction label is 1
        >>> t = np.array([1, 0, 2, 1], np.int32)
        >>> F.accuracy(y, t).array \
# 100% accuracy because all samples are correct
        array(1.)
        >>> t = np.array([1, 0, 0, 0], np.int32)
        >>> F.accuracy(y, t).array \
# 50% accuracy because 1st and 2nd samples are correct.
        array(0.5)
        >>> F.accuracy(y, t, ignore_label=0).array \
# 100% accuracy because of ignoring the 2nd, 3rd and 4th samples.
        array(1.)
    """
    return Accuracy(ignore_label=ignore_label).apply((y, t))[0]


def binary_accuracy(y, t):
    """Binary classification accuracy of a minibatch.

    The prediction for an element is 1 where ``y >= 0`` and 0 elsewhere.

    Args:
        y (~tracegrad.Variable or array): scores of positives.
        t (~tracegrad.Variable or array): integer labels of ``y``'s shape: 1 for
            positive, 0 for negative, -1 to leave the element out.

    Returns:
        ~tracegrad.Variable: a scalar of ``y``'s dtype, the fraction of correct
        predictions (0 when every label is -1). It is not differentiable.

    .. admonition:: Example

        The most common case, ``y`` of two dimensions:

        >>> y = np.array([[-2.0, 0.0], # prediction labels are [0, 1]
        ...               [3.0, -5.0]]) # prediction labels are [1, 0]
        >>> t = np.array([[0, 1],
        ...              [1, 0]], np.int32)
        >>> F.binary_accuracy(y, t).array \
# 100% accuracy because all samples are correct.
        array(1.)
        >>> t = np.array([[0, 0],
        ...              [1, 1]], np.int32)
        >>> F.binary_accuracy(y, t).array \
# 50% accuracy because y[0][0] and y[1][0] are correct.
        array(0.5)
        >>> t = np.array([[0, -1],
        ...              [1, -1]], np.int32)
        >>> F.binary_accuracy(y, t).array \
# 100% accuracy because of ignoring y[0][1] and y[1][1].
        array(1.)
    """
    return BinaryAccuracy().apply((y, t))[0]
