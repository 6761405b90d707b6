"""CooMatrix, to_coo and get_order (tracegrad.utils, as chainer.utils)."""
import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad.utils import CooMatrix, get_order, to_coo


def _sparse(rng, shape, density=0.4):
    return (rng.randn(*shape) * (rng.rand(*shape) < density)).astype(np.float32)


@pytest.mark.parametrize('shape', [(3, 4), (1, 1), (5, 2), (2, 3, 4), (1, 7, 3)])
@pytest.mark.parametrize('ldnz', [None, 20])
def test_to_coo_round_trips(shape, ldnz):
    x = _sparse(np.random.RandomState(0), shape)
    sp = to_coo(x, ldnz=ldnz)
    assert sp.shape == shape[-2:] and sp.order == 'C'
    assert sp.row.dtype == sp.col.dtype == np.int32 and sp.data.dtype == np.float32
    most = max(int((m != 0).sum()) for m in x.reshape((-1,) + shape[-2:]))
    assert sp.data.shape == shape[:-2] + (max(most, ldnz or 0),)
    np.testing.assert_array_equal(sp.to_dense(), x)
    for data, row, col, matrix in zip(*(np.atleast_2d(a) for a in (sp.data.array, sp.row,
                                                                      sp.col)),
                                      x.reshape((-1,) + shape[-2:])):
        kept = row >= 0
        np.testing.assert_array_equal(data[kept], matrix[matrix != 0])  # row-major
        assert (data[~kept] == 0).all() and (col[~kept] == -1).all()


def test_to_coo_example_of_chainer():
    sp = to_coo(np.array([[0, 2, 0], [-1, 0, 0]], np.float32))
    np.testing.assert_array_equal(sp.data.array, [2., -1.])
    np.testing.assert_array_equal(sp.row, [0, 1])
    np.testing.assert_array_equal(sp.col, [1, 0])
    assert not sp.data.requires_grad
    assert to_coo(np.eye(2), requires_grad=True).data.requires_grad


def test_to_dense_adds_repeated_entries_and_skips_padding():
    sp = CooMatrix(np.array([1., 2., 3., 9.]), np.array([0, 0, 1, -1]),
                   np.array([1, 1, 0, -1]), (2, 2))
    np.testing.assert_array_equal(sp.to_dense(), [[0., 3.], [3., 0.]])
    batch = CooMatrix(np.array([[1., 5.], [2., 0.]], np.float32), np.array([[0, 1], [1, -1]]),
                      np.array([[0, 1], [0, -1]]), (2, 3))
    dense = batch.to_dense()
    assert dense.dtype == np.float32
    np.testing.assert_array_equal(dense, [[[1, 0, 0], [0, 5, 0]], [[0, 0, 0], [2, 0, 0]]])


def test_coo_matrix_keeps_a_variable_and_wraps_an_array():
    v = tracegrad.Variable(np.ones(2))
    assert CooMatrix(v, np.array([0, 1]), np.array([0, 1]), (2, 2)).data is v
    sp = CooMatrix(np.ones(2), np.array([0, 1]), np.array([0, 1]), (2, 2), requires_grad=True)
    assert isinstance(sp.data, tracegrad.Variable) and sp.data.requires_grad


@pytest.mark.parametrize('row,col,order', [
    ([0, 0, 1, 2], [0, 3, 1, 0], 'C'),
    ([1, 0, 2, 1], [0, 1, 1, 2], 'F'),
    ([1, 0, 0], [0, 1, 0], 'other'),
    ([0, 1, -1, -1], [2, 0, -1, -1], 'C'),  # padding is not looked at
    ([[0, 1], [1, 0]], [[0, 0], [0, 1]], 'F'),  # each matrix of a batch
    ([[0, 1], [1, 0]], [[1, 0], [0, 1]], 'other'),
])
def test_get_order(row, col, order):
    row, col = np.array(row, np.int32), np.array(col, np.int32)
    assert get_order(row, col) == order
    assert CooMatrix(np.ones(row.shape), row, col, (3, 4)).order == order


def test_given_order_is_kept():
    sp = CooMatrix(np.ones(2), np.array([1, 0]), np.array([0, 0]), (2, 2), order='other')
    assert sp.order == 'other'


def test_errors():
    one = np.ones(2)
    idx = np.array([0, 1])
    with pytest.raises(ValueError, match='CooMatrix: data must be 1-D or 2-D'):
        CooMatrix(np.ones((1, 1, 2)), idx, idx, (2, 2))
    with pytest.raises(ValueError, match='CooMatrix: data, row and col must have the same ndim'):
        CooMatrix(one, idx[None], idx, (2, 2))
    with pytest.raises(ValueError, match='CooMatrix: data, row and col must have the same shape'):
        CooMatrix(one, np.array([0, 1, 1]), np.array([0, 1, 1]), (2, 2))
    with pytest.raises(TypeError, match='CooMatrix: row and col must be integer'):
        CooMatrix(one, idx.astype(np.float32), idx, (2, 2))
    with pytest.raises(ValueError, match='CooMatrix: shape must have two values'):
        CooMatrix(one, idx, idx, (2, 2, 2))
    with pytest.raises(ValueError, match='CooMatrix: the values of shape must be positive'):
        CooMatrix(one, idx, idx, (2, 0))
    with pytest.raises(ValueError, match="CooMatrix: order must be 'C'"):
        CooMatrix(one, idx, idx, (2, 2), order='K')
    with pytest.raises(ValueError, match='CooMatrix: every row index must be less than 1'):
        CooMatrix(one, idx, idx, (1, 2))
    with pytest.raises(ValueError, match='CooMatrix: every col index must be less than 1'):
        CooMatrix(one, idx, idx, (2, 1))
    with pytest.raises(ValueError, match='get_order: an entry has a negative row index'):
        get_order(np.array([0, -1]), np.array([0, 1]))
    with pytest.raises(ValueError, match='get_order: row and col must have the same shape'):
        get_order(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError, match='to_coo: x must be a matrix'):
        to_coo(np.ones(3))


def test_is_exported_as_chainer_names_it():
    assert tracegrad.utils.CooMatrix is CooMatrix
    assert tracegrad.utils.to_coo is to_coo and tracegrad.utils.get_order is get_order


@pytest.mark.gpu
def test_on_the_gpu():
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    cupy = cuda.cupy
    x = _sparse(np.random.RandomState(1), (2, 4, 3))
    sp = to_coo(cupy.asarray(x), ldnz=7, requires_grad=True)
    assert isinstance(sp.row, cupy.ndarray) and isinstance(sp.data.array, cupy.ndarray)
    assert sp.order == 'C' and get_order(sp.row, sp.col) == 'C'
    dense = sp.to_dense()
    assert isinstance(dense, cupy.ndarray)
    np.testing.assert_array_equal(cupy.asnumpy(dense), x)
    b = tracegrad.Variable(cupy.asarray(np.ones((2, 3, 2), np.float32)))
    y = F.sparse_matmul(sp, b)
    np.testing.assert_allclose(cupy.asnumpy(y.array), x @ np.ones((2, 3, 2)), rtol=1e-6)
    F.sum(y).backward()
    assert isinstance(sp.data.grad, cupy.ndarray) and isinstance(b.grad, cupy.ndarray)


def test_to_coo_of_an_empty_batch():
    sp = to_coo(np.zeros((0, 2, 3), np.float32), ldnz=4)
    assert sp.data.shape == sp.row.shape == sp.col.shape == (0, 4)
    assert sp.shape == (2, 3) and sp.to_dense().shape == (0, 2, 3)
