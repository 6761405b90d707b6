"""Square-matrix functions on ``xp.linalg``: ``det``, ``batch_det``, ``inv``, ``batch_inv``
and ``cholesky``.

The forward passes call ``xp.linalg`` (LAPACK on NumPy, cuSOLVER on CuPy), which has no
IR primitive: tracing them raises :class:`~tracegrad.CompileError` naming the
``numpy.linalg`` function. The backward passes are written with ``matmul`` and the
inverse itself, so they can be differentiated again.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['batch_det', 'batch_inv', 'cholesky', 'det', 'inv']


class _OnSquareMatrices(FunctionNode):
    """A function of one square matrix (``ndim == 2``) or of a batch of them (``ndim == 3``),
    labelled ``name`` or ``batch_<name>`` after its public function."""

    name = ''

    def __init__(self, ndim: int = 2):
        self.ndim = ndim

    @property
    def label(self) -> str:
        return f'batch_{self.name}' if self.ndim == 3 else self.name

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('a',))
        a, = in_types
        type_check.expect(a.dtype.kind == 'f', a.ndim == self.ndim,
                          a.shape[-1] == a.shape[-2])


class Inv(_OnSquareMatrices):
    """The inverse of a square matrix, or of each of a batch."""

    name = 'inv'

    def forward(self, inputs):
        self.retain_outputs((0,))
        a, = inputs
        xp = get_array_module(a)
        try:
            y = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise ValueError(f'{self.label}: the input has singular matrices') from None
        return y.astype(a.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.matmul import matmul

        y, = self.get_retained_outputs()
        gy, = grad_outputs
        # d(A^-1) = -A^-1 dA A^-1, so gA = -A^-T gy A^-T.
        return -matmul(matmul(y, gy, transa=True), y, transb=True),


class Det(_OnSquareMatrices):
    """The determinant of a square matrix, or of each of a batch."""

    name = 'det'

    def forward(self, inputs):
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        a, = inputs
        xp = get_array_module(a)
        return xp.asarray(xp.linalg.det(a)).astype(a.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.array.transpose import swapaxes

        a, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        gy, = grad_outputs
        # d det(A) / dA = det(A) A^-T (Jacobi's formula); a singular A has no inverse,
        # and the gradient then fails as Chainer's does.
        scale = reshape(gy * y, y.shape + (1, 1))
        return scale * Inv(self.ndim).apply((swapaxes(a, -1, -2),))[0],


class Cholesky(_OnSquareMatrices):
    """The lower-triangular ``L`` with ``L L^T = a``, for a symmetric positive-definite ``a``."""

    name = 'cholesky'

    def forward(self, inputs):
        self.retain_outputs((0,))
        a, = inputs
        xp = get_array_module(a)
        try:
            y = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError as e:
            raise xp.linalg.LinAlgError(f'cholesky: {e}') from None
        return y.astype(a.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.transpose import transpose
        from tracegrad.functions.math.matmul import matmul

        y, = self.get_retained_outputs()
        gy, = grad_outputs
        xp = y.xp
        n = y.shape[0]
        # With P = tril(L^T gy), diagonal halved: gA = sym(L^-T P L^-1), sym(S) = (S + S^T) / 2.
        half_diag = (xp.tri(n, dtype=y.dtype) - y.dtype.type(0.5) * xp.eye(n, dtype=y.dtype))
        phi = half_diag * matmul(y, gy, transa=True)
        y_inv = Inv(2).apply((y,))[0]
        s = matmul(matmul(y_inv, phi, transa=True), y_inv)
        return (s + transpose(s)) * y.dtype.type(0.5),


def det(a) -> Variable:
    """Determinant of a square matrix.

    Args:
        a (Variable or array): a float array of shape ``(n, n)``.

    Returns:
        ~tracegrad.Variable: the determinant, a 0-d array. Its gradient needs
        the inverse of ``a`` and raises ``ValueError`` if ``a`` is singular.

    >>> F.det(np.array([[2., 1.], [1., 3.]], np.float32)).array
    array(5., dtype=float32)
    """
    return Det(2).apply((a,))[0]


def batch_det(a) -> Variable:
    """Determinants of a batch of square matrices.

    Args:
        a (Variable or array): a float array of shape ``(m, n, n)``.

    Returns:
        ~tracegrad.Variable: the ``m`` determinants.
    """
    return Det(3).apply((a,))[0]


def inv(a) -> Variable:
    """Inverse of a square matrix.

    Args:
        a (Variable or array): a float array of shape ``(n, n)``.

    Returns:
        ~tracegrad.Variable: the inverse. A singular ``a`` raises ``ValueError``
        on NumPy; on CuPy, as in Chainer, it is not checked.

    >>> F.inv(np.array([[2., 0.], [0., 4.]], np.float32)).array
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    return Inv(2).apply((a,))[0]


def batch_inv(a) -> Variable:
    """Inverses of a batch of square matrices.

    Args:
        a (Variable or array): a float array of shape ``(m, n, n)``.

    Returns:
        ~tracegrad.Variable: the ``m`` inverses. A singular matrix raises
        ``ValueError`` on NumPy, as :func:`inv` does.
    """
    return Inv(3).apply((a,))[0]


def cholesky(a) -> Variable:
    """Cholesky decomposition of a symmetric positive-definite matrix.

    Only the lower triangle of ``a`` is read; the gradient is that of the
    symmetric matrix (it is symmetric itself).

    Args:
        a (Variable or array): a float array of shape ``(n, n)``.

    Returns:
        ~tracegrad.Variable: the lower-triangular ``L`` with ``L @ L.T == a``.
        A matrix that is not positive definite raises ``xp.linalg.LinAlgError``
        (a ``ValueError``) on NumPy.

    >>> F.cholesky(np.array([[4., 2.], [2., 5.]], np.float32)).array
    array([[2., 0.],
           [1., 2.]], dtype=float32)
    """
    return Cholesky().apply((a,))[0]
