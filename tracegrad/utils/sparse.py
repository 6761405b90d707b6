"""Sparse matrices in COO format: :class:`CooMatrix`, :func:`to_coo` and :func:`get_order`.

A :class:`CooMatrix` holds one matrix (``data``, ``row`` and ``col`` of shape
``(ldnz,)``) or a batch of matrices of one shape (each of shape ``(nb, ldnz)``).
Entries whose row or column index is negative are padding and stand for
nothing, so the matrices of a batch may hold different numbers of entries.
Only ``data`` is differentiable (:func:`~tracegrad.functions.sparse_matmul`
passes gradients to it); the indices are constants.
"""
from __future__ import annotations

import numpy

from tracegrad import backend
from tracegrad.backends import cuda

__all__ = ['CooMatrix', 'get_order', 'to_coo']


class CooMatrix:
    """A sparse matrix (or a batch of them) in COO format.

    Args:
        data (array or Variable): the entries, shape ``(ldnz,)`` or
            ``(nb, ldnz)``. An array is wrapped in a new Variable; a Variable
            is kept as it is, so gradients reach whatever computed it.
        row (array): integer row indices of the entries, of the shape of
            ``data``; negative for padding entries.
        col (array): integer column indices, likewise.
        shape (tuple of two ints): the shape of each matrix in dense form.
        order ('C', 'F', 'other' or None): whether the entries are sorted by
            row (``'C'``), by column (``'F'``) or neither; None finds out with
            :func:`get_order` (or says ``'other'`` for indices being traced by
            :func:`tracegrad.compile`). It is a hint only: results do not
            depend on it.
        requires_grad (bool): whether a Variable made from an array ``data``
            gets a gradient in backprop.

    Attributes:
        data (~tracegrad.Variable): the entries.
        row, col: the indices, as given.
        shape (tuple): the dense shape of each matrix.
        order (str): ``'C'``, ``'F'`` or ``'other'``.
    """

    def __init__(self, data, row, col, shape, order=None, requires_grad: bool = False):
        from tracegrad.variable import Variable

        if not 1 <= data.ndim <= 2:
            raise ValueError(f'CooMatrix: data must be 1-D or 2-D (batched), '
                             f'got shape {tuple(data.shape)}')
        if not data.ndim == row.ndim == col.ndim:
            raise ValueError(f'CooMatrix: data, row and col must have the same ndim, got '
                             f'{data.ndim}, {row.ndim} and {col.ndim}')
        if not tuple(data.shape) == tuple(row.shape) == tuple(col.shape):
            raise ValueError(f'CooMatrix: data, row and col must have the same shape, got '
                             f'{tuple(data.shape)}, {tuple(row.shape)} and {tuple(col.shape)}')
        if numpy.dtype(row.dtype).kind not in 'iu' or numpy.dtype(col.dtype).kind not in 'iu':
            raise TypeError(f'CooMatrix: row and col must be integer arrays, got {row.dtype} '
                            f'and {col.dtype}')
        if len(shape) != 2:
            raise ValueError(f'CooMatrix: shape must have two values, got {shape!r}')
        if not (shape[0] > 0 and shape[1] > 0):
            raise ValueError(f'CooMatrix: the values of shape must be positive, got {shape!r}')
        if order not in ('C', 'F', 'other', None):
            raise ValueError(f"CooMatrix: order must be 'C', 'F', 'other' or None, "
                             f'got {order!r}')
        shape = (int(shape[0]), int(shape[1]))
        _check_index_range(row, shape[0], 'row')
        _check_index_range(col, shape[1], 'col')
        self.data = data if isinstance(data, Variable) else Variable(
            data, requires_grad=requires_grad)
        self.row = row
        self.col = col
        self.shape = shape
        if order is None:  # a hint: 'other' where the indices' values are not at hand
            concrete = all(isinstance(a, backend.DEVICE_ARRAY_TYPES) for a in (row, col))
            order = get_order(row, col) if concrete else 'other'
        self.order = order

    def to_dense(self):
        """Return the matrix (or batch of matrices) as a dense array.

        Entries at the same position add up; padding entries are left out.

        Returns:
            array: shape ``shape`` or ``(nb,) + shape``, of ``data``'s dtype,
            on ``data``'s device.
        """
        data = self.data.array
        xp = backend.get_array_module(data)
        m, k = self.shape
        batch_shape = data.shape[:-1]  # () or (nb,)
        valid = (self.row >= 0) & (self.col >= 0)
        position = self.row * k + self.col
        if batch_shape:
            position = position + (xp.arange(batch_shape[0]) * (m * k))[:, None]
        position = xp.where(valid, position, 0).astype(numpy.int32)
        n_matrices = batch_shape[0] if batch_shape else 1
        dense = xp.zeros(n_matrices * m * k, dtype=data.dtype)
        xp.add.at(dense, position.reshape(-1),
                  xp.where(valid, data, data.dtype.type(0)).reshape(-1))
        return dense.reshape(batch_shape + (m, k))


def _check_index_range(index, size: int, what: str) -> None:
    """Reject indices at or past ``size`` when their values are at hand."""
    if isinstance(index, backend.DEVICE_ARRAY_TYPES) and index.size and \
            int(index.max()) >= size:
        axis = 'rows' if what == 'row' else 'columns'
        raise ValueError(f'CooMatrix: every {what} index must be less than {size} (the '
                         f'number of {axis}), got {int(index.max())}')


def to_coo(x, ldnz=None, requires_grad: bool = False) -> CooMatrix:
    """Return the nonzero entries of a matrix (or batch of matrices) as a :class:`CooMatrix`.

    Entries are listed in row-major order, so the result has ``order == 'C'``.

    Args:
        x (array): a matrix ``(m, k)`` or a batch of matrices ``(nb, m, k)``.
        ldnz (int): the least length of ``data``, ``row`` and ``col`` (their
            last axis); it grows to the largest number of nonzeros of one
            matrix when that is more. The extra entries are padding (data 0,
            indices -1).
        requires_grad (bool): whether the data gets a gradient in backprop.

    Returns:
        CooMatrix: the sparse form of ``x``.

    >>> data = np.array([[0, 2, 0], [-1, 0, 0]], np.float32)
    >>> x = chainer.utils.to_coo(data)
    >>> x.data
    variable([ 2., -1.])
    >>> x.row
    array([0, 1], dtype=int32)
    >>> x.col
    array([1, 0], dtype=int32)
    >>> x.shape
    (2, 3)
    """
    x = getattr(x, 'array', x)
    if x.ndim not in (2, 3):
        raise ValueError(f'to_coo: x must be a matrix (2-D) or a batch of matrices (3-D), '
                         f'got shape {tuple(x.shape)}')
    xp = backend.get_array_module(x)
    batch = x if x.ndim == 3 else x[None]
    nb = batch.shape[0]
    # every matrix's nonzeros at once, in (matrix, row, column) order; each goes to the
    # slot after the previous nonzeros of its matrix
    which, rows, cols = xp.nonzero(batch)
    counts = xp.bincount(which, minlength=nb)
    length = max(int(counts.max()) if nb else 0, ldnz or 0)  # the one read back
    slot = xp.arange(which.size) - (xp.cumsum(counts) - counts)[which]
    data = xp.zeros((nb, length), dtype=x.dtype)
    row = xp.full((nb, length), -1, dtype=numpy.int32)
    col = xp.full((nb, length), -1, dtype=numpy.int32)
    data[which, slot] = batch[which, rows, cols]
    row[which, slot] = rows
    col[which, slot] = cols
    if x.ndim == 2:
        data, row, col = data[0], row[0], col[0]
    return CooMatrix(data, row, col, x.shape[-2:], order='C', requires_grad=requires_grad)


def get_order(row, col) -> str:
    """Tell how the entries of a COO matrix are sorted.

    Padding entries (negative indices) are not looked at; in a batch every
    matrix must be sorted for the batch to count as sorted.

    Args:
        row (array): row indices, shape ``(ldnz,)`` or ``(nb, ldnz)``.
        col (array): column indices, of the same shape.

    Returns:
        str: ``'C'`` if the entries are sorted by row, then by column within a
        row; else ``'F'`` if sorted by column, then by row; else ``'other'``.

    >>> chainer.utils.get_order(np.array([0, 0, 1, -1]), np.array([0, 2, 1, -1]))
    'C'
    >>> chainer.utils.get_order(np.array([1, 0, 1]), np.array([0, 1, 1]))
    'F'
    """
    row, col = cuda.to_cpu(row), cuda.to_cpu(col)
    if row.shape != col.shape:
        raise ValueError(f'get_order: row and col must have the same shape, got {row.shape} '
                         f'and {col.shape}')
    if ((row < 0) != (col < 0)).any():
        raise ValueError('get_order: an entry has a negative row index and a non-negative '
                         'column index or the other way round (padding needs both negative)')
    rows, cols = row.reshape(-1, row.shape[-1]), col.reshape(-1, col.shape[-1])
    if all(_sorted_by(r, c) for r, c in zip(rows, cols)):
        return 'C'
    if all(_sorted_by(c, r) for r, c in zip(rows, cols)):
        return 'F'
    return 'other'


def _sorted_by(major, minor) -> bool:
    """Whether the (major, minor) pairs of the non-padding entries never decrease."""
    kept = major >= 0
    major, minor = major[kept], minor[kept]
    step_major, step_minor = numpy.diff(major), numpy.diff(minor)
    return bool(((step_major > 0) | ((step_major == 0) & (step_minor >= 0))).all())
