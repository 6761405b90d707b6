import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing


def _tol(case):
    if case.dtype == np.float32:
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}


@testing.parameterize(*testing.product({
    'case': [((3,), 2), ((3,), (2, 2)), ((2, 3), (3, 1, 2)), ((2, 1, 3), (2, 2)),
             ((2, 3), 0), ((), 3), ((1,), (1,))],
    'dtype': [np.float32, np.float64],
}))
class TestTile(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.reps = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.tile(inputs[0], self.reps),

    def forward_expected(self, inputs):
        return np.tile(inputs[0], self.reps),


@testing.parameterize(*testing.product({
    'case': [((3,), 2, None), ((2, 3), 2, None), ((2, 3), 3, 1), ((2, 3), (1, 0, 2), 1),
             ((2, 3), (2, 1), -2), ((), 3, None), ((3, 1), 1, 0), ((2, 3), (2,), 0)],
    'dtype': [np.float32, np.float64],
}))
class TestRepeat(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.repeats, self.axis = self.case
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.repeat(inputs[0], self.repeats, self.axis),

    def forward_expected(self, inputs):
        return np.repeat(inputs[0], self.repeats, self.axis),


def test_repeat_gradient_sums_copies():
    x = Variable(np.zeros(2, np.float32))
    y = F.repeat(x, (3, 1))
    y.grad = np.array([1., 2., 3., 4.], np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [6., 4.])


def test_tile_repeat_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match='tile: reps'):
        F.tile(x, [2, 2])
    with pytest.raises(ValueError, match='tile: all elements of reps'):
        F.tile(x, (2, -1))
    with pytest.raises(TypeError, match='repeat: repeats'):
        F.repeat(x, 1.5)
    with pytest.raises(ValueError, match='repeat: all elements'):
        F.repeat(x, -1)
    with pytest.raises(TypeError, match='repeat: axis'):
        F.repeat(x, 2, axis=1.0)
    with pytest.raises(TypeError, match='repeat: axis'):
        F.repeat(x, 2, axis=True)
    with pytest.raises(ValueError, match='repeat: axis=2'):
        F.repeat(x, 2, axis=2)
    with pytest.raises(ValueError, match='repeat: repeats has 2 elements'):
        F.repeat(x, (1, 2), axis=1)
