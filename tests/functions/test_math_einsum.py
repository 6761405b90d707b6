"""einsum (both input forms, ellipses, diagonals) and tensordot."""
import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-5, 'rtol': 1e-5}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
    else:
        case.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5}


@testing.parameterize(*testing.product({
    'subscripts_shapes': [
        ('ij,jk->ik', ((3, 5), (5, 7))),          # matrix product, odd sizes
        ('ij,jk', ((1, 3), (3, 1))),              # implicit output, batch 1
        ('bij,bjk->bik', ((1, 3, 2), (1, 2, 5))),  # batched, batch 1
        ('bij,bjk->bki', ((4, 3, 2), (4, 2, 5))),  # batched, permuted output
        ('ij->ji', ((3, 5),)),                    # transpose
        ('ij->', ((3, 5),)),                      # full sum
        ('ij->j', ((3, 5),)),                     # partial sum
        ('ii->i', ((3, 3),)),                     # diagonal
        ('ii', ((4, 4),)),                        # trace
        ('iij->ji', ((3, 3, 2),)),                # diagonal of two axes of three
        ('iii->i', ((3, 3, 3),)),                 # diagonal of three axes
        ('ij,ij->ij', ((2, 3), (2, 3))),          # elementwise product
        ('i,j->ij', ((3,), (5,))),                # outer product
        ('i,i', ((7,), (7,))),                    # dot product
        ('ijk,ji->k', ((3, 2, 5), (2, 3))),       # contraction over two axes
        ('ij,ik,jkl->il', ((3, 4), (3, 5), (4, 5, 2))),  # three operands
        ('...ij,...jk->...ik', ((2, 3, 4), (2, 4, 5))),  # ellipsis batch
        ('...j,...k,jkl', ((3, 4), (3, 5), (4, 5, 2))),  # ellipsis, implicit output
        ('i...,i...->...', ((3,), (3,))),                # empty ellipsis summed
        ('ij,jj->i', ((2, 3), (3, 3))),           # diagonal inside a product
        (',i->i', ((), (3,))),                    # scalar operand
    ],
    'dtype': [np.float32, np.float64],
}))
class TestEinSum(testing.FunctionTestCase):
    def setUp(self):
        self.subscripts, self.shapes = self.subscripts_shapes
        _tolerances(self)

    def generate_inputs(self):
        return tuple(np.random.uniform(-1, 1, s).astype(self.dtype) for s in self.shapes)

    def forward(self, inputs, device):
        return F.einsum(self.subscripts, *inputs),

    def forward_expected(self, inputs):
        return np.asarray(np.einsum(self.subscripts, *inputs), dtype=self.dtype),


@testing.parameterize(*testing.product({
    'case': [
        ((3, 5, 2), (5, 2, 4), 2),
        ((1, 3), (3, 1), 1),
        ((3, 5), (2, 4), 0),                    # outer product
        ((3, 5, 2), (2, 3, 7), ([0, 2], [1, 0])),
        ((5, 3), (3, 5), ((1, 0), (0, 1))),     # full contraction
        ((2, 3), (3, 4), (-1, 0)),              # single axes, negative
    ],
    'dtype': [np.float32, np.float64],
}))
class TestTensorDot(testing.FunctionTestCase):
    def setUp(self):
        self.a_shape, self.b_shape, self.axes = self.case
        _tolerances(self)

    def generate_inputs(self):
        return (np.random.uniform(-1, 1, self.a_shape).astype(self.dtype),
                np.random.uniform(-1, 1, self.b_shape).astype(self.dtype))

    def forward(self, inputs, device):
        return F.tensordot(*inputs, axes=self.axes),

    def forward_expected(self, inputs):
        return np.asarray(np.tensordot(*inputs, axes=self.axes), dtype=self.dtype),


def test_einsum_sublist_form_equals_string_form():
    rng = np.random.RandomState(0)
    x1, x2 = rng.rand(3, 4), rng.rand(3, 5)
    w = rng.rand(4, 5, 6)
    expected = np.einsum('ij,ik,jkl->il', x1, x2, w)
    y = F.einsum(x1, [0, 1], x2, [0, 2], w, [1, 2, 3], [0, 3])
    np.testing.assert_allclose(y.array, expected)
    y = F.einsum(x1, [Ellipsis, 1], x2, [Ellipsis, 2], w, [1, 2, 3])
    np.testing.assert_allclose(y.array, expected)
    y = F.einsum(' ij , ik , jkl -> il ', x1, x2, w)  # spaces are ignored
    np.testing.assert_allclose(y.array, expected)


def test_einsum_repeated_operand_accumulates_gradients():
    x = Variable(np.array([1., 2., 3.]))
    y = F.einsum('i,i->', x, x)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * x.array)


def test_einsum_diagonal_gradient_is_zero_off_the_diagonal():
    x = Variable(np.arange(9.).reshape(3, 3))
    F.einsum('ii->', x).backward()
    np.testing.assert_array_equal(x.grad, np.eye(3))


def test_einsum_errors():
    a = np.zeros((2, 3), np.float32)
    b = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match='einsum: no operands'):
        F.einsum()
    with pytest.raises(ValueError, match=r"einsum: '1' is not a valid subscript"):
        F.einsum('i1', a)
    with pytest.raises(ValueError, match="at most one '->'"):
        F.einsum('ij->j->i', a)
    with pytest.raises(ValueError, match=r"einsum: a '\.' that is not part of '\.\.\.'"):
        F.einsum('..ij', a)
    with pytest.raises(ValueError, match="einsum: output subscript 'k' does not appear"):
        F.einsum('ij->k', a)
    with pytest.raises(ValueError, match="einsum: output subscript 'i' appears more than once"):
        F.einsum('ij->ii', a)
    with pytest.raises(ValueError, match='einsum: 2 operand subscripts for 1 operands'):
        F.einsum('ij,jk', a)
    with pytest.raises(ValueError, match=r"einsum: operand 1 has 2 dimensions but its "
                                         r"subscripts 'j' name 1"):
        F.einsum('ij,j', a, b)
    with pytest.raises(ValueError, match=r"einsum: summing over '\.\.\.' is not supported"):
        F.einsum('...j->j', a)
    with pytest.raises(ValueError, match=r"einsum: '\.\.\.' stands for 1 axes"):
        F.einsum('...j,...k->...jk', a, np.zeros((2, 2, 4), np.float32))
    with pytest.raises(ValueError, match="more than one '...'"):
        F.einsum(a, [Ellipsis, Ellipsis])
    with pytest.raises(TypeError, match='einsum: a sublist must hold ints'):
        F.einsum(a, [0, 'j'])
    with pytest.raises(TypeError, match='einsum: operand 0 must be an array'):
        F.einsum('i', 3.0)
    with pytest.raises(InvalidType, match=r'(?s)EinSum.*x1.shape\[0\] == x0.shape\[1\]'):
        F.einsum('ij,jk', a, np.zeros((4, 4), np.float32))
    with pytest.raises(InvalidType, match=r'x1.dtype == x0.dtype'):
        F.einsum('ij,jk', a, np.zeros((3, 4), np.float64))
    with pytest.raises(InvalidType, match=r'x0.dtype.kind == .f.'):
        F.einsum('ij', np.zeros((2, 3), np.int32))
    with pytest.raises(InvalidType, match=r'x0.shape\[1\] == x0.shape\[0\]'):
        F.einsum('ii', a)


def test_tensordot_errors():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r'tensordot: axes=3 must be between 0'):
        F.tensordot(a, a, axes=3)
    with pytest.raises(TypeError, match='tensordot: axes must be an int or a pair'):
        F.tensordot(a, a, axes=1.5)
    with pytest.raises(ValueError, match='tensordot: axis 2 is out of range for a.ndim=2'):
        F.tensordot(a, a, axes=([2], [0]))
    with pytest.raises(ValueError, match=r'tensordot: axes .* pair 2 axes of a with 1 of b'):
        F.tensordot(a, a, axes=([0, 1], [0]))
    with pytest.raises(ValueError, match='tensordot: repeated axis'):
        F.tensordot(a, a, axes=([0, 0], [0, 1]))
    with pytest.raises(InvalidType, match=r'(?s)TensorDot.*b.shape\[0\] == a.shape\[1\]'):
        F.tensordot(a, a, axes=1)
    with pytest.raises(InvalidType, match=r'b.dtype == a.dtype'):
        F.tensordot(a, np.zeros((3, 2), np.float64), axes=1)
