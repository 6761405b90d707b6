"""Cross-covariance penalty between two sets of features (for disentangling them)."""
from __future__ import annotations

from tracegrad.functions.loss._checks import check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['cross_covariance']

_NAME = 'cross_covariance'


def _centered(h):
    from tracegrad import functions as F

    return h - F.broadcast_to(F.average(h, axis=0, keepdims=True), h.shape)


def centered_covariance(y, z):
    """``(y - mean(y)).T @ (z - mean(z)) / N`` over the batch axis 0, as a Variable."""
    from tracegrad import functions as F

    return F.matmul(_centered(y), _centered(z), transa=True) / y.shape[0]


def half_squared_sum(a):
    """Half the squared Frobenius norm of ``a``."""
    from tracegrad import functions as F

    return F.sum(a * a) * 0.5


def cross_covariance(y, z, reduce='half_squared_sum') -> Variable:
    """Cross-covariance of ``y`` and ``z`` over the batch, or half its squared norm.

    The covariance matrix is :math:`C = \\frac{1}{N} (y - \\bar y)^\\top (z - \\bar z)`,
    where the means are taken over the batch (axis 0). Penalizing it makes the two
    sets of features uncorrelated. It is a composition of differentiable functions.

    Args:
        y (~tracegrad.Variable or array): features ``(N, M)``.
        z (~tracegrad.Variable or array): features ``(N, K)``, of ``y``'s dtype.
        reduce (str): ``'half_squared_sum'`` (the scalar
            :math:`\\frac{1}{2} \\sum_{ij} C_{ij}^2`) or ``'no'`` (the matrix
            :math:`C` of shape ``(M, K)``).

    Returns:
        ~tracegrad.Variable: the penalty.

    See https://arxiv.org/abs/1412.6583v3.

    >>> y = np.array([[1., 0.], [-1., 0.]], np.float32)
    >>> z = np.array([[2.], [0.]], np.float32)
    >>> F.cross_covariance(y, z, reduce='no').array
    array([[1.],
           [0.]], dtype=float32)
    >>> F.cross_covariance(y, z)
    variable(0.5)
    """
    check_reduce(_NAME, reduce, ('half_squared_sum', 'no'))

    def expect(y_type, z_type):
        type_check.expect(
            y_type.dtype.kind == 'f',
            y_type.dtype == z_type.dtype,
            y_type.ndim == 2,
            z_type.ndim == 2,
            y_type.shape[0] == z_type.shape[0],
        )
    type_check.check_composite(_NAME, ('y', 'z'), (y, z), expect)
    covariance = centered_covariance(y, z)
    return half_squared_sum(covariance) if reduce == 'half_squared_sum' else covariance
