"""batch_matmul (deprecated in Chainer, still shipped): batches of matrices or vectors."""
import warnings

import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


def _as_matrices(a, trans):
    a = a.reshape(a.shape + (1,)) if a.ndim == 2 else a
    return a.swapaxes(-1, -2) if trans else a


def _batch_matmul(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        return F.batch_matmul(*args, **kwargs)


@testing.parameterize(*testing.product({
    'case': [
        # a shape, b shape, transa, transb (shapes as stored)
        ((3, 2, 5), (3, 5, 7), False, False),
        ((3, 5, 2), (3, 5, 7), True, False),
        ((3, 2, 5), (3, 7, 5), False, True),
        ((3, 5, 2), (3, 7, 5), True, True),
        ((1, 3, 2), (1, 2, 1), False, False),   # batch 1
        ((4, 5), (4, 5), True, False),          # dot products of column vectors
        ((4, 5), (4, 3), False, True),          # outer products
        ((2, 3, 5), (2, 5), False, False),      # matrix times vector
    ],
}))
class TestBatchMatMul(testing.FunctionTestCase):
    def setUp(self):
        self.a_shape, self.b_shape, self.transa, self.transb = self.case
        self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
        self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        return (np.random.uniform(-1, 1, self.a_shape).astype(np.float32),
                np.random.uniform(-1, 1, self.b_shape).astype(np.float32))

    def forward(self, inputs, device):
        return _batch_matmul(*inputs, transa=self.transa, transb=self.transb),

    def forward_expected(self, inputs):
        a, b = inputs
        return np.matmul(_as_matrices(a, self.transa), _as_matrices(b, self.transb)),


def test_batch_matmul_is_deprecated():
    a = np.ones((2, 3, 4), np.float32)
    with pytest.warns(DeprecationWarning, match='batch_matmul is deprecated. Use matmul'):
        y = F.batch_matmul(a, np.ones((2, 4, 1), np.float32))
    np.testing.assert_array_equal(y.array, np.full((2, 3, 1), 4, np.float32))


def test_batch_matmul_gradient_shapes_follow_inputs():
    a = Variable(np.random.rand(3, 4).astype(np.float32))
    b = Variable(np.random.rand(3, 4).astype(np.float32))
    y = _batch_matmul(a, b, transb=True)
    assert y.shape == (3, 4, 4)
    y.grad = np.ones(y.shape, np.float32)
    y.backward()
    assert a.grad.shape == (3, 4) and b.grad.shape == (3, 4)
    # a[i] (4 x 1) times b[i]^T (1 x 4): each entry of a[i]'s gradient is sum(b[i]).
    np.testing.assert_allclose(a.grad, np.repeat(b.array.sum(axis=1, keepdims=True), 4, 1),
                               rtol=1e-5)


def test_batch_matmul_errors():
    a = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(InvalidType, match=r'(?s)BatchMatMul.*a.dtype == .*float32'):
        _batch_matmul(a.astype(np.float64), a.astype(np.float64))
    with pytest.raises(InvalidType, match=r'a.ndim <= 3'):
        _batch_matmul(np.zeros((2, 3, 4, 1), np.float32), a)
    with pytest.raises(InvalidType, match=r'b.ndim >= 2'):
        _batch_matmul(a, np.zeros(2, np.float32))
    with pytest.raises(InvalidType, match=r'a.shape\[0\] == b.shape\[0\]'):
        _batch_matmul(a, np.zeros((3, 4, 2), np.float32))
    with pytest.raises(InvalidType, match=r'the inner sizes of op\(a\) and op\(b\) to match'):
        _batch_matmul(a, a)
