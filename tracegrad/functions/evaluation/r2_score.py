"""Coefficient of determination (R^2) of a regression (not differentiable)."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['r2_score']

_MULTIOUTPUT = ('uniform_average', 'raw_values')


class R2Score(FunctionNode):
    """``1 - SS_res / SS_tot`` per output column (over axis 0), or its mean."""

    label = 'r2_score'

    def __init__(self, multioutput: str):
        self.multioutput = multioutput

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('pred', 'true'))
        pred_type, true_type = in_types
        type_check.expect(
            pred_type.dtype.kind == 'f',
            true_type.dtype == pred_type.dtype,
            pred_type.shape == true_type.shape,
            pred_type.ndim >= 1,
        )

    def forward(self, inputs):
        pred, true = inputs
        xp = backend.get_array_module(pred)
        dtype = pred.dtype
        residual = pred - true
        ss_res = (residual * residual).sum(axis=0)
        spread = true - true.mean(axis=0, keepdims=True)
        ss_tot = (spread * spread).sum(axis=0)
        # A constant target (SS_tot == 0) scores 0, as in Chainer.
        constant = ss_tot == 0
        score = xp.where(constant, dtype.type(0),
                         1 - ss_res / xp.where(constant, dtype.type(1), ss_tot))
        if self.multioutput == 'uniform_average':
            score = score.mean()
        return xp.asarray(score, dtype=dtype),


def r2_score(pred, true, sample_weight=None, multioutput='uniform_average') -> Variable:
    """R^2 (coefficient of determination) of predictions, per output or averaged.

    For each output (every position after axis 0), the score is
    :math:`1 - \\sum_i (pred_i - true_i)^2 / \\sum_i (true_i - \\overline{true})^2`
    over the samples ``i`` of axis 0; an output whose true values are constant
    scores 0.

    Args:
        pred (~tracegrad.Variable or array): predicted values ``(N, ...)``.
        true (~tracegrad.Variable or array): true values, of ``pred``'s shape and dtype.
        sample_weight: only None is supported (kept for scikit-learn's signature).
        multioutput (str): ``'uniform_average'`` (the mean score, a scalar) or
            ``'raw_values'`` (one score per output, of shape ``pred.shape[1:]``).

    Returns:
        ~tracegrad.Variable: the score; not differentiable.

    >>> true = np.array([3., -0.5, 2., 7.], np.float32)
    >>> pred = np.array([2.5, 0., 2., 8.], np.float32)
    >>> F.r2_score(pred, true)
    variable(0.94860816)
    """
    if sample_weight is not None:
        raise NotImplementedError('r2_score: sample_weight is not supported (only None)')
    if multioutput not in _MULTIOUTPUT:
        raise ValueError(f"r2_score: multioutput must be 'uniform_average' or 'raw_values', "
                         f'got {multioutput!r}')
    return R2Score(multioutput).apply((pred, true))[0]
