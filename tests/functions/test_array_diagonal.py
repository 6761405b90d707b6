import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing


def diagonal_ref(x, offset, axis1, axis2):
    a1, a2 = axis1 % x.ndim, axis2 % x.ndim
    others = [i for i in range(x.ndim) if i not in (a1, a2)]
    xt = np.transpose(x, others + [a1, a2])
    out = []
    for i in range(xt.shape[-2]):
        j = i + offset
        if 0 <= j < xt.shape[-1]:
            out.append(xt[..., i, j])
    if not out:
        return np.zeros(xt.shape[:-2] + (0,), x.dtype)
    return np.stack(out, axis=-1)


@testing.parameterize(*testing.product({
    'case': [((3, 3), 0, 0, 1), ((3, 3), 1, 0, 1), ((3, 5), -1, 0, 1), ((5, 3), 2, 1, 0),
             ((2, 3, 4), 0, 1, 2), ((2, 3, 4), 1, 2, 0), ((4, 1, 3), -2, -1, 0),
             ((3, 2, 5, 3), 0, -1, 1), ((1, 1), 0, 0, 1), ((3, 3), 5, 0, 1)],
    'dtype': [np.float32, np.float64],
}))
class TestDiagonal(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.offset, self.axis1, self.axis2 = self.case
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.diagonal(inputs[0], self.offset, self.axis1, self.axis2),

    def forward_expected(self, inputs):
        return diagonal_ref(inputs[0], self.offset, self.axis1, self.axis2),


def test_default_arguments_take_main_diagonal():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(F.diagonal(x).array, [0., 5., 10.])


def test_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match='diagonal: axis2=2'):
        F.diagonal(x, 0, 0, 2)
    with pytest.raises(ValueError, match='diagonal: axis1 and axis2 must differ'):
        F.diagonal(x, 0, 1, -1)
    with pytest.raises(ValueError, match='diagonal: .*at least 2'):
        F.diagonal(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match='diagonal: offset'):
        F.diagonal(x, 0.5)
