import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), ()],
    'dtype': [np.float32, np.float64],
    'fn_params': [('elu', {}), ('elu', {'alpha': 0.5}), ('elu', {'alpha': -0.3}),
                  ('selu', {}), ('selu', {'alpha': 1.2, 'scale': 2.0})],
}))
class TestELU(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        x = np.random.uniform(0.1, 2, self.shape) * np.random.choice([-1, 1], self.shape)
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        name, params = self.fn_params
        return getattr(F, name)(inputs[0], **params),

    def forward_expected(self, inputs):
        x = inputs[0].astype(np.float64)
        name, params = self.fn_params
        alpha = params.get('alpha', 1.0 if name == 'elu' else SELU_ALPHA)
        scale = params.get('scale', 1.0 if name == 'elu' else SELU_SCALE)
        y = np.where(x > 0, x, alpha * (np.exp(x) - 1)) * scale
        return np.asarray(y).astype(self.dtype),


def test_elu_large_positive_input_does_not_overflow():
    with np.errstate(over='raise', invalid='raise', divide='raise'):
        y = F.elu(np.array([100., -100.], np.float32))
    np.testing.assert_allclose(y.array, [100., -1.])


def test_elu_gradient_values():
    x = Variable(np.array([-1., 2.], np.float64))
    y = F.elu(x, alpha=2.)
    y.grad = np.ones(2)
    y.backward()
    np.testing.assert_allclose(x.grad, [2 * np.exp(-1.), 1.])


def test_selu_defaults():
    x = np.array([-1., 1.], np.float64)
    y = F.selu(x).array
    np.testing.assert_allclose(y, [SELU_SCALE * SELU_ALPHA * (np.exp(-1) - 1), SELU_SCALE])


@pytest.mark.parametrize('fn', [F.elu, F.selu])
def test_int_input_raises(fn):
    with pytest.raises(InvalidType, match='ELU'):
        fn(np.array([1, -2], np.int32))
