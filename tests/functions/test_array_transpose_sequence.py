import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'lengths': [(4, 2, 1), (3, 3), (1,), (2, 0)],
    'unit': [(), (3,)],
    'dtype': [np.float32, np.float64],
}))
class TestTransposeSequence(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return tuple(np.random.uniform(-1, 1, (n,) + self.unit).astype(self.dtype)
                     for n in self.lengths)

    def forward(self, inputs, device):
        return F.transpose_sequence(list(inputs))

    def forward_expected(self, inputs):
        return tuple(np.array([x[t] for x in inputs if len(x) > t], self.dtype).reshape(
            (-1,) + self.unit) for t in range(len(inputs[0])))


def test_transpose_sequence_roundtrip_and_empty():
    xs = [Variable(np.arange(n, dtype=np.float32)) for n in (3, 2, 2)]
    ys = F.transpose_sequence(xs)
    assert [y.shape for y in ys] == [(3,), (3,), (1,)]
    back = F.transpose_sequence(ys)
    for x, b in zip(xs, back):
        np.testing.assert_array_equal(x.array, b.array)
    assert F.transpose_sequence([]) == ()


def test_transpose_sequence_partial_grad():
    xs = [Variable(np.zeros(n, np.float32)) for n in (3, 1)]
    ys = F.transpose_sequence(xs)
    ys[1].grad = np.array([5.], np.float32)
    ys[1].backward()
    np.testing.assert_array_equal(xs[0].grad, [0., 5., 0.])
    np.testing.assert_array_equal(xs[1].grad, [0.])


def test_transpose_sequence_unsorted():
    with pytest.raises(InvalidType, match='TransposeSequence'):
        F.transpose_sequence([np.zeros(1, np.float32), np.zeros(2, np.float32)])
