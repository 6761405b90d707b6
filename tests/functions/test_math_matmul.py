"""matmul: matrices, stacks with broadcasting, vectors, transposed operands."""
import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


def _op(a, trans):
    return a.swapaxes(-1, -2) if trans and a.ndim > 1 else a


@testing.parameterize(*testing.product({
    'shapes': [
        ((3, 2), (2, 5)),          # matrices
        ((1, 3), (3, 1)),          # batch-1 rows and columns
        ((4, 3, 2), (4, 2, 5)),    # stacks
        ((2, 1, 3, 2), (4, 2, 3)),  # broadcast batch axes
        ((3, 2), (5, 2, 7)),       # matrix times a stack
        ((3,), (3, 5)),            # vector times matrix
        ((2, 5, 3), (3,)),         # stack times vector
        ((7,), (7,)),              # dot product
        ((3,), (2, 3, 4)),         # vector times a stack
    ],
    'transa': [False, True],
    'transb': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestMatMul(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
        else:
            self.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5}

    def generate_inputs(self):
        a_shape, b_shape = self.shapes
        # Stored transposed when the function is asked to transpose them back.
        a = np.random.uniform(-1, 1, _op(np.empty(a_shape), self.transa).shape)
        b = np.random.uniform(-1, 1, _op(np.empty(b_shape), self.transb).shape)
        return a.astype(self.dtype), b.astype(self.dtype)

    def forward(self, inputs, device):
        a, b = inputs
        return F.matmul(a, b, transa=self.transa, transb=self.transb),

    def forward_expected(self, inputs):
        a, b = inputs
        y = np.matmul(_op(a, self.transa), _op(b, self.transb))
        return np.asarray(y, dtype=self.dtype),


def test_matmul_operator_and_values():
    a = Variable(np.array([[1., 2.], [3., 4.]], np.float32))
    b = np.array([[1., 0.], [1., 1.]], np.float32)
    np.testing.assert_array_equal((a @ b).array, [[3., 2.], [7., 4.]])
    np.testing.assert_array_equal((b @ a).array, [[1., 2.], [4., 6.]])


def test_matmul_transposed_gradients_are_transposed():
    a = Variable(np.random.rand(3, 2))
    b = Variable(np.random.rand(4, 3))
    y = F.matmul(a, b, transa=True, transb=True)  # (2, 3) @ (3, 4)
    assert y.shape == (2, 4)
    F.sum(y).backward()
    np.testing.assert_allclose(a.grad, (np.ones((2, 4)) @ b.array).T)
    np.testing.assert_allclose(b.grad, (a.array @ np.ones((2, 4))).T)


def test_matmul_errors():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'(?s)MatMul.*a.shape\[-1\] == b.shape\[-2\]'):
        F.matmul(a, np.zeros((2, 3), np.float32))
    with pytest.raises(InvalidType, match=r'a.dtype == b.dtype'):
        F.matmul(a, np.zeros((3, 2), np.float64))
    with pytest.raises(InvalidType, match=r'a.dtype.kind == .f.'):
        F.matmul(np.zeros((2, 3), np.int32), np.zeros((3, 2), np.int32))
    with pytest.raises(InvalidType, match='shapes that broadcast'):
        F.matmul(np.zeros((2, 2, 3), np.float32), np.zeros((4, 3, 2), np.float32))
    with pytest.raises(ValueError, match='matmul: operands must have ndim >= 1'):
        F.matmul(np.zeros((), np.float32), np.zeros((3,), np.float32))
