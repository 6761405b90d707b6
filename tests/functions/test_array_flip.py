import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'case': [('flip', (3, 2), 0), ('flip', (3, 2), 1), ('flip', (2, 3, 5), -1), ('flip', (1,), 0),
             ('fliplr', (3, 5), None), ('fliplr', (2, 3, 1), None),
             ('flipud', (3, 5), None), ('flipud', (7,), None)],
    'dtype': [np.float32, np.float64],
}))
class TestFlip(testing.FunctionTestCase):
    def setUp(self):
        self.func, self.shape, self.axis = self.case
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        if self.func == 'flip':
            return F.flip(inputs[0], self.axis),
        return getattr(F, self.func)(inputs[0]),

    def forward_expected(self, inputs):
        if self.func == 'flip':
            return np.flip(inputs[0], self.axis),
        return getattr(np, self.func)(inputs[0]),


def test_flip_errors():
    with pytest.raises(InvalidType, match='Flip'):
        F.flip(np.zeros((2, 3), np.float32), 2)
    with pytest.raises(InvalidType, match='Flip'):
        F.flip(np.zeros((), np.float32), 0)
    with pytest.raises(TypeError, match='flip: axis'):
        F.flip(np.zeros((2, 3), np.float32), None)
    with pytest.raises(InvalidType, match='FlipLR'):
        F.fliplr(np.zeros((3,), np.float32))
    with pytest.raises(InvalidType, match='FlipUD'):
        F.flipud(np.zeros((), np.float32))
