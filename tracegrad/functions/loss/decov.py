"""DeCov: a penalty on the covariances between the units of a hidden layer."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.functions.loss._checks import check_reduce
from tracegrad.functions.loss.cross_covariance import centered_covariance, half_squared_sum
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['decov']

_NAME = 'decov'


def decov(h, reduce='half_squared_sum') -> Variable:
    """DeCov loss: the covariances between different units of ``h`` over the batch.

    The matrix is :math:`C = \\frac{1}{N} (h - \\bar h)^\\top (h - \\bar h)` with its
    diagonal (the variances) set to zero; penalizing it reduces overfitting by
    decorrelating the units. It is a composition of differentiable functions.

    Args:
        h (~tracegrad.Variable or array): activations ``(N, M)``.
        reduce (str): ``'half_squared_sum'`` (the scalar
            :math:`\\frac{1}{2} \\sum_{ij} C_{ij}^2`) or ``'no'`` (the matrix
            :math:`C` of shape ``(M, M)``).

    Returns:
        ~tracegrad.Variable: the penalty.

    See https://arxiv.org/abs/1511.06068.

    >>> h = np.array([[1., 2.], [-1., 0.]], np.float32)
    >>> F.decov(h, reduce='no').array
    array([[0., 1.],
           [1., 0.]], dtype=float32)
    >>> F.decov(h)
    variable(1.)
    """
    check_reduce(_NAME, reduce, ('half_squared_sum', 'no'))

    def expect(h_type):
        type_check.expect(h_type.dtype.kind == 'f', h_type.ndim == 2)
    type_check.check_composite(_NAME, ('h',), (h,), expect)
    xp = backend.get_array_module(h.array if isinstance(h, Variable) else h)
    m = h.shape[1]
    units = xp.arange(m)
    off_diagonal = (units[:, None] != units[None, :]).astype(h.dtype)
    covariance = centered_covariance(h, h) * off_diagonal
    return half_squared_sum(covariance) if reduce == 'half_squared_sum' else covariance
