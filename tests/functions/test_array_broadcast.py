import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _tol(case):
    if case.dtype == np.float32:
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}


@testing.parameterize(*testing.product({
    'shapes': [[(3, 1, 5), (1, 2, 1)], [(3,), (2, 3)], [(1,), (5,), (2, 1)], [(), (3,)],
               [(2, 3), (2, 3)]],
    'dtype': [np.float32, np.float64],
}))
class TestBroadcast(testing.FunctionTestCase):
    def setUp(self):
        _tol(self)

    def generate_inputs(self):
        return tuple(np.random.uniform(-1, 1, s).astype(self.dtype) for s in self.shapes)

    def forward(self, inputs, device):
        return tuple(F.broadcast(*inputs))

    def forward_expected(self, inputs):
        return tuple(np.broadcast_arrays(*inputs))


@testing.parameterize(*testing.product({
    'case': [((3, 1), (3, 5)), ((5,), (2, 5)), ((), (3,)), ((1,), (1,)), ((1, 3), (2, 1, 3))],
    'dtype': [np.float32, np.float64],
}))
class TestBroadcastTo(testing.FunctionTestCase):
    def setUp(self):
        self.in_shape, self.out_shape = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.in_shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.broadcast_to(inputs[0], self.out_shape),

    def forward_expected(self, inputs):
        return np.broadcast_to(inputs[0], self.out_shape),


def test_broadcast_single_returns_variable():
    x = np.ones((2, 3), np.float32)
    y = F.broadcast(x)
    assert isinstance(y, Variable)
    v = Variable(x)
    assert F.broadcast(v) is v


def test_broadcast_errors():
    with pytest.raises(InvalidType, match='Broadcast'):
        F.broadcast(np.zeros((2, 3), np.float32), np.zeros((4,), np.float32))
    with pytest.raises(ValueError, match='broadcast'):
        F.broadcast()
    with pytest.raises(InvalidType, match='BroadcastTo'):
        F.broadcast_to(np.zeros((2, 3), np.float32), (4, 3))


def test_broadcast_gradient_only_for_requested_output():
    x = Variable(np.ones((3, 1), np.float32))
    z = Variable(np.ones((1, 2), np.float32))
    y, _ = F.broadcast(x, z)
    y.grad = np.ones((3, 2), np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [[2.], [2.], [2.]])
    assert z.grad is None or not z.grad.any()
