"""det, batch_det, inv, batch_inv and cholesky: values, gradients, singular inputs, tracing."""
import numpy as np
import pytest

import tracegrad
from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


def _well_conditioned(shape, dtype):
    """Random square matrices with a dominant diagonal (far from singular)."""
    a = np.random.uniform(-1, 1, shape)
    n = shape[-1]
    return (a + n * np.eye(n)).astype(dtype)


def _lu_det(m):
    """Determinant by Gaussian elimination with partial pivoting (the reference)."""
    m = m.astype(np.float64).copy()
    n, d = len(m), 1.0
    for k in range(n):
        p = k + int(np.argmax(abs(m[k:, k])))
        if m[p, k] == 0:
            return 0.0
        if p != k:
            m[[k, p]] = m[[p, k]]
            d = -d
        d *= m[k, k]
        m[k + 1:] -= np.outer(m[k + 1:, k] / m[k, k], m[k])
    return d


def _gauss_jordan_inv(m):
    n = len(m)
    aug = np.concatenate([m.astype(np.float64), np.eye(n)], axis=1)
    for k in range(n):
        p = k + int(np.argmax(abs(aug[k:, k])))
        aug[[k, p]] = aug[[p, k]]
        aug[k] /= aug[k, k]
        for r in range(n):
            if r != k:
                aug[r] -= aug[r, k] * aug[k]
    return aug[:, n:]


def _set_tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
        case.check_backward_options = {'atol': 5e-3, 'rtol': 1e-2, 'eps': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 5e-2, 'eps': 1e-2}
    else:
        case.check_forward_options = {'atol': 1e-10, 'rtol': 1e-10}
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5}


@testing.parameterize(*testing.product({
    'batched_shape': [(False, (1, 1)), (False, (3, 3)), (False, (5, 5)),
                      (True, (1, 3, 3)), (True, (4, 2, 2)), (True, (2, 5, 5))],
    'dtype': [np.float32, np.float64],
}))
class TestDet(testing.FunctionTestCase):
    def setUp(self):
        self.batched, self.shape = self.batched_shape
        _set_tolerances(self)

    def generate_inputs(self):
        return _well_conditioned(self.shape, self.dtype) / self.shape[-1],

    def forward(self, inputs, device):
        return (F.batch_det if self.batched else F.det)(inputs[0]),

    def forward_expected(self, inputs):
        a, = inputs
        dets = [_lu_det(m) for m in a.reshape((-1,) + a.shape[-2:])]
        return np.asarray(dets if self.batched else dets[0], dtype=self.dtype),


@testing.parameterize(*testing.product({
    'batched_shape': [(False, (1, 1)), (False, (3, 3)), (False, (5, 5)),
                      (True, (1, 3, 3)), (True, (4, 2, 2)), (True, (2, 5, 5))],
    'dtype': [np.float32, np.float64],
}))
class TestInv(testing.FunctionTestCase):
    def setUp(self):
        self.batched, self.shape = self.batched_shape
        _set_tolerances(self)

    def generate_inputs(self):
        return _well_conditioned(self.shape, self.dtype),

    def forward(self, inputs, device):
        return (F.batch_inv if self.batched else F.inv)(inputs[0]),

    def forward_expected(self, inputs):
        a, = inputs
        invs = [_gauss_jordan_inv(m) for m in a.reshape((-1,) + a.shape[-2:])]
        return np.asarray(np.stack(invs).reshape(a.shape), dtype=self.dtype),


@testing.parameterize(*testing.product({
    'n': [1, 2, 3, 5],
    'dtype': [np.float32, np.float64],
}))
class TestCholesky(testing.FunctionTestCase):
    def setUp(self):
        _set_tolerances(self)

    def generate_inputs(self):
        b = np.random.uniform(-1, 1, (self.n, self.n))
        return (b @ b.T + self.n * np.eye(self.n)).astype(self.dtype),

    def forward(self, inputs, device):
        a, = inputs
        # Cholesky reads one triangle; the gradient is that of a symmetric input.
        return F.cholesky((a + F.transpose(a)) * 0.5),

    def forward_expected(self, inputs):
        a, = inputs
        a = (a.astype(np.float64) + a.T) / 2
        n = len(a)
        low = np.zeros_like(a)
        for j in range(n):
            low[j, j] = np.sqrt(a[j, j] - low[j, :j] @ low[j, :j])
            for i in range(j + 1, n):
                low[i, j] = (a[i, j] - low[i, :j] @ low[j, :j]) / low[j, j]
        return low.astype(self.dtype),


def test_inv_times_input_is_identity():
    a = Variable(_well_conditioned((2, 4, 4), np.float64))
    np.testing.assert_allclose((F.batch_inv(a).array @ a.array), np.broadcast_to(np.eye(4),
                               (2, 4, 4)), atol=1e-12)


def test_singular_matrices():
    singular = np.array([[1., 2.], [2., 4.]], np.float32)
    with pytest.raises(ValueError, match='inv: the input has singular matrices'):
        F.inv(singular)
    with pytest.raises(ValueError, match='batch_inv: the input has singular matrices'):
        F.batch_inv(np.stack([np.eye(2, dtype=np.float32), singular]))
    # det is 0; its gradient needs the inverse and fails as Chainer's does
    x = Variable(singular)
    y = F.det(x)
    assert y.array == 0
    with pytest.raises(ValueError, match='^inv: the input has singular matrices'):
        y.backward()
    with pytest.raises(np.linalg.LinAlgError, match='cholesky: .*positive definite'):
        F.cholesky(np.array([[1., 2.], [2., 1.]], np.float64))


def test_linalg_type_errors():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'(?s)det.*a.shape\[-1\] == a.shape\[-2\]'):
        F.det(a)
    with pytest.raises(InvalidType, match=r'(?s)batch_det.*a.ndim == 3'):
        F.batch_det(np.eye(2, dtype=np.float32))
    with pytest.raises(InvalidType, match=r'(?s)Invalid operation is performed in: inv .*'
                                          r'a.ndim == 2'):
        F.inv(np.zeros((2, 2, 2), np.float32))
    with pytest.raises(InvalidType, match=r'(?s)batch_inv.*a.shape\[-1\] == a.shape\[-2\]'):
        F.batch_inv(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(InvalidType, match=r'(?s)cholesky.*a.dtype.kind == .f.'):
        F.cholesky(np.eye(2, dtype=np.int32))


@pytest.mark.parametrize('fn,name', [
    (F.det, 'numpy.linalg.det'), (F.inv, 'numpy.linalg.inv'),
    (F.cholesky, 'numpy.linalg.cholesky'),
    (lambda a: F.batch_det(F.reshape(a, (1, 3, 3))), 'numpy.linalg.det'),
    (lambda a: F.batch_inv(F.reshape(a, (1, 3, 3))), 'numpy.linalg.inv'),
    (lambda a: F.fft((a, a))[0], 'numpy.fft.fft'),
    (lambda a: F.ifft((a, a))[1], 'numpy.fft.ifft'),
])
def test_tracing_names_the_linalg_function(fn, name):
    @tracegrad.compile(backend='reference')
    def step(a):
        return F.sum(fn(a))

    a = (np.eye(3) * 2).astype(np.float32)
    with pytest.raises(tracegrad.CompileError, match=f'{name} has no IR primitive'):
        step(a)
