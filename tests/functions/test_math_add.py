"""F.add: two operands (as +) or any number of arrays of one dtype."""
import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shapes': [((3,),), ((3, 2), (3, 2)), ((3, 2), (3, 2), (3, 2)),
               ((1, 5), (3, 1), (5,), (1, 1, 1)),  # broadcasting, four terms
               ((), (2, 3), ())],
    'dtype': [np.float32, np.float64],
}))
class TestAdd(testing.FunctionTestCase):
    def generate_inputs(self):
        return tuple(np.random.uniform(-1, 1, s).astype(self.dtype) for s in self.shapes)

    def forward(self, inputs, device):
        return F.add(*inputs),

    def forward_expected(self, inputs):
        y = inputs[0].copy()
        for x in inputs[1:]:
            y = y + x
        return np.asarray(y, dtype=self.dtype),


def test_add_scalar_and_single_input():
    x = Variable(np.array([1., 2.], np.float32))
    y = F.add(x, 3)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.array, [4., 5.])
    z = F.add(x)
    assert z is not x and z.array is not x.array
    np.testing.assert_array_equal(z.array, x.array)


def test_add_errors():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match='add: at least one input'):
        F.add()
    with pytest.raises(InvalidType, match=r'(?s)MultiAdd.*x2.dtype == x0.dtype'):
        F.add(a, a, a.astype(np.float64))
    with pytest.raises(InvalidType, match='shapes that broadcast'):
        F.add(a, a, np.zeros((3, 2), np.float32))
