import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape_axis': [((4, 3), 1), ((1, 5), 1), ((2, 3, 4), (1, 2)), ((3, 2, 5), -1),
                   ((3, 4), 0), ((2, 3, 2), [0, 2])],
    'eps': [1e-5, 0.5],
    'dtype': [np.float32, np.float64],
}))
class TestNormalize(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis = self.shape_axis
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2,
                                                  'dtype': np.float64}
        else:
            self.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}
            self.check_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-4}
            self.check_double_backward_options = {'atol': 1e-7, 'rtol': 1e-6, 'eps': 1e-4}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        x, = inputs
        if self.axis == 1 and self.eps == 1e-5:
            return F.normalize(x),
        return F.normalize(x, eps=self.eps, axis=self.axis),

    def forward_expected(self, inputs):
        x, = inputs
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        norm = np.sqrt((x.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))
        return (x / (norm + self.eps)).astype(self.dtype),


def test_zero_vector_has_finite_gradients():
    x = Variable(np.array([[0., 0., 0.], [3., 4., 0.]]))
    y = F.normalize(x)
    np.testing.assert_allclose(y.array, [[0, 0, 0], [3 / (5 + 1e-5), 4 / (5 + 1e-5), 0]])
    y.grad = np.ones_like(y.array)
    y.backward(enable_double_backprop=True)
    np.testing.assert_allclose(x.grad[0], 1 / 1e-5)  # there y = x / eps
    assert np.isfinite(x.grad).all()
    gx = x.grad_var
    x.cleargrad()
    F.sum(gx * gx).backward()
    assert np.isfinite(x.grad).all()


def test_bad_arguments():
    with pytest.raises(InvalidType, match=r"(?s)NormalizeL2.*x.dtype.kind == 'f'"):
        F.normalize(np.zeros((2, 3), np.int32))
    with pytest.raises(InvalidType, match=r'(?s)NormalizeL2.*axis'):
        F.normalize(np.zeros((2, 3), np.float32), axis=2)
    with pytest.raises(TypeError, match='normalize: axis must be'):
        F.normalize(np.zeros((2, 3), np.float32), axis=1.5)
