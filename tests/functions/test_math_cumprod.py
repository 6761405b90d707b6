"""cumprod along an axis or over the flattened array, zeros included."""
import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape_axis': [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 5), 1),
                   ((3, 4), None), ((1,), None), ((1, 3), 0), ((), None)],
    'zeros': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestCumprod(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.axis = self.shape_axis
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(0.5, 1.5, self.shape) * np.random.choice([-1, 1], self.shape)
        if self.zeros and x.size > 1:
            x.flat[1] = 0  # the gradient at and after a zero must stay exact
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        return F.cumprod(inputs[0], axis=self.axis),

    def forward_expected(self, inputs):
        x, = inputs
        flat = x.reshape(-1) if self.axis is None else np.moveaxis(x, self.axis, -1)
        out = np.empty_like(flat)
        running = np.ones(flat.shape[:-1], x.dtype)
        for i in range(flat.shape[-1]):
            running = running * flat[..., i]
            out[..., i] = running
        return (out if self.axis is None else np.moveaxis(out, -1, self.axis)),


def test_cumprod_gradient_with_two_zeros():
    x = Variable(np.array([2., 0., 3., 0., 5.]))
    F.sum(F.cumprod(x)).backward()
    # y = [x0, x0 x1, x0 x1 x2, ...]: d/dx0 = 1 (later terms carry x1 = 0);
    # d/dx1 = x0 + x0 x2 = 8; past the second zero every product stays 0.
    np.testing.assert_array_equal(x.grad, [1., 8., 0., 0., 0.])


def test_cumprod_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match='cumprod: axis must be None or an int'):
        F.cumprod(x, axis=(0, 1))
    with pytest.raises(InvalidType, match=r'(?s)Cumprod.*x.ndim > 2'):
        F.cumprod(x, axis=2)
    with pytest.raises(InvalidType, match=r'x.ndim >= 3'):
        F.cumprod(x, axis=-3)
    with pytest.raises(InvalidType, match=r'x.dtype.kind == .f.'):
        F.cumprod(np.zeros(3, np.int64))
