import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils import CooMatrix, to_coo
from tracegrad.utils.type_check import InvalidType


def _pattern(rng, shape, batch, ldnz):
    """Row/col indices of ``ldnz`` entries per matrix: a repeated position and padding included."""
    m, k = shape
    rows, cols = [], []
    for _ in range(batch or 1):
        n_real = ldnz - 2
        row = rng.randint(0, m, n_real)
        col = rng.randint(0, k, n_real)
        row[-1], col[-1] = row[0], col[0]  # the same position twice: the entries add up
        rows.append(np.concatenate([row, [-1, -1]]))  # two padding entries
        cols.append(np.concatenate([col, [-1, -1]]))
    row, col = np.array(rows, np.int32), np.array(cols, np.int32)
    return (row, col) if batch else (row[0], col[0])


def _dense(data, row, col, shape):
    """The dense (batch of) matrices, with NumPy's add.at over the non-padding entries."""
    data, row, col = np.atleast_2d(data), np.atleast_2d(row), np.atleast_2d(col)
    out = np.zeros((len(data),) + shape, data.dtype)
    for b in range(len(data)):
        keep = (row[b] >= 0) & (col[b] >= 0)
        np.add.at(out[b], (row[b][keep], col[b][keep]), data[b][keep])
    return out


def _t(x, trans):
    return np.swapaxes(x, -1, -2) if trans else x


@testing.parameterize(*testing.product({
    'mkn': [(3, 5, 2), (1, 4, 1), (7, 3, 5)],
    'batch': [None, 1, 3],
    'sparse_side': ['left', 'right'],
    'transa': [False, True],
    'transb': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestSparseMatmul(testing.FunctionTestCase):
    def setUp(self):
        m, k, n = self.mkn
        rng = np.random.RandomState(7)
        if self.sparse_side == 'left':  # op(A) is (m, k), op(b) is (k, n)
            self.sp_shape = (k, m) if self.transa else (m, k)
            self.dn_shape = (n, k) if self.transb else (k, n)
        else:  # op(a) is (m, k), op(B) is (k, n)
            self.dn_shape = (k, m) if self.transa else (m, k)
            self.sp_shape = (n, k) if self.transb else (k, n)
        self.row, self.col = _pattern(rng, self.sp_shape, self.batch, ldnz=6)
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-3}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-3}

    def generate_inputs(self):
        lead = (self.batch,) if self.batch else ()
        data = np.random.uniform(-1, 1, self.row.shape).astype(self.dtype)
        dense = np.random.uniform(-1, 1, lead + self.dn_shape).astype(self.dtype)
        return data, dense

    def forward(self, inputs, device):
        data, dense = inputs
        sp = CooMatrix(data, device.send(self.row), device.send(self.col), self.sp_shape)
        if self.sparse_side == 'left':
            y = F.sparse_matmul(sp, dense, transa=self.transa, transb=self.transb)
        else:
            y = F.sparse_matmul(dense, sp, transa=self.transa, transb=self.transb)
        return y,

    def forward_expected(self, inputs):
        data, dense = inputs
        sp = _dense(data, self.row, self.col, self.sp_shape)
        if not self.batch:
            sp = sp[0]
        if self.sparse_side == 'left':
            y = _t(sp, self.transa) @ _t(dense, self.transb)
        else:
            y = _t(dense, self.transa) @ _t(sp, self.transb)
        return y.astype(self.dtype),


@pytest.mark.parametrize('sp_dtype,dn_dtype', [(np.float32, np.float64),
                                               (np.float64, np.float32)])
def test_mixed_dtypes_give_the_common_dtype(sp_dtype, dn_dtype):
    rng = np.random.RandomState(0)
    a = rng.randn(4, 3) * (rng.rand(4, 3) < 0.5)
    b = tracegrad.Variable(rng.randn(3, 2).astype(dn_dtype))
    sp = to_coo(a.astype(sp_dtype), requires_grad=True)
    y = F.sparse_matmul(sp, b)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.array, a.astype(sp_dtype) @ b.array.astype(np.float64),
                               rtol=1e-6)
    y.grad = np.ones_like(y.array)
    y.backward()
    assert sp.data.grad.dtype == sp_dtype and b.grad.dtype == dn_dtype


def test_gradient_of_data_is_the_dense_gradient_at_the_entries():
    rng = np.random.RandomState(1)
    a = rng.randn(5, 4) * (rng.rand(5, 4) < 0.5)
    b = rng.randn(4, 3)
    sp = to_coo(a, ldnz=a.size, requires_grad=True)  # with padding entries
    gy = rng.randn(5, 3)
    y = F.sparse_matmul(sp, b)
    y.grad = gy
    y.backward()
    dense_grad = gy @ b.T
    nnz = int((a != 0).sum())
    np.testing.assert_allclose(sp.data.grad[:nnz], dense_grad[sp.row[:nnz], sp.col[:nnz]])
    assert (sp.data.grad[nnz:] == 0).all()


def test_all_zero_matrix():
    sp = to_coo(np.zeros((3, 4), np.float32))
    assert sp.data.shape == (0,)
    y = F.sparse_matmul(sp, np.ones((4, 2), np.float32))
    assert y.shape == (3, 2) and y.dtype == np.float32 and (y.array == 0).all()


def test_data_computed_by_other_functions_gets_gradients():
    w = tracegrad.Variable(np.array([1., 2., 3.]))
    sp = CooMatrix(F.exp(w), np.array([0, 1, 1], np.int32), np.array([1, 0, 1], np.int32),
                   (2, 2))
    y = F.sum(F.sparse_matmul(sp, np.eye(2)))
    y.backward()
    np.testing.assert_allclose(w.grad, np.exp(w.array))


def test_errors():
    sp = to_coo(np.array([[0, 1, 0], [2, 0, 3]], np.float32))  # (2, 3)
    with pytest.raises(ValueError, match='sparse_matmul: one operand must be a CooMatrix'):
        F.sparse_matmul(np.ones((2, 3), np.float32), np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match='sparse_matmul: one operand must be a CooMatrix'):
        F.sparse_matmul(sp, sp)
    with pytest.raises(InvalidType, match='CooMatMul'):  # k mismatch
        F.sparse_matmul(sp, np.ones((2, 2), np.float32))
    with pytest.raises(InvalidType, match='CooMatMul'):
        F.sparse_matmul(sp, np.ones((2, 2), np.float32), transa=False, transb=True)
    with pytest.raises(InvalidType, match='CooMatMul'):  # a 2-D sparse matrix, 3-D dense
        F.sparse_matmul(sp, np.ones((2, 3, 2), np.float32))
    with pytest.raises(InvalidType, match='CooMatMul'):
        F.sparse_matmul(sp, np.ones((3, 2), np.int32))
    batched = to_coo(np.ones((2, 2, 3), np.float32))
    with pytest.raises(InvalidType, match='CooMatMul'):  # batch sizes differ
        F.sparse_matmul(batched, np.ones((3, 3, 2), np.float32))
    with pytest.raises(InvalidType, match='CooMatMul'):  # dense @ sparse, k mismatch
        F.sparse_matmul(np.ones((2, 4), np.float32), sp)
