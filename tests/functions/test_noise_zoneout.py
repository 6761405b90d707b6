import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import backend, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3, 4), (1, 5), (2, 3, 5)],
    'ratio': [0., 0.3, 1.],
    'dtype': [np.float32, np.float64],
}))
class TestZoneout(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        h = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        x = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        return h, x

    def forward(self, inputs, device):
        # the same choice in each call; the draw is kept for the reference
        xp = backend.get_array_module(inputs[0].array)
        xp.random.seed(2)
        self.uniform = backend.CpuDevice().send(xp.random.rand(*self.shape))
        xp.random.seed(2)
        with tracegrad.using_config('train', True):
            return F.zoneout(inputs[0], inputs[1], self.ratio),

    def forward_expected(self, inputs):
        h, x = inputs
        keep_h = self.uniform < self.ratio
        return np.where(keep_h, h, x),


def test_seeded_choice_and_test_mode():
    h, x = np.zeros((20, 30), np.float32), np.ones((20, 30), np.float32)
    np.random.seed(0)
    with tracegrad.using_config('train', True):
        y = F.zoneout(h, x)  # default ratio .5
    np.random.seed(0)
    np.testing.assert_array_equal(y.array, np.random.rand(20, 30) >= .5)
    with tracegrad.using_config('train', False):
        y = F.zoneout(h, x, 0.9)
    np.testing.assert_array_equal(y.array, x)


def test_errors():
    h = np.zeros((2, 3), np.float32)
    with tracegrad.using_config('train', True):
        with pytest.raises(InvalidType, match='Zoneout'):
            F.zoneout(h, np.zeros((3, 2), np.float32))
        with pytest.raises(InvalidType, match='Zoneout'):
            F.zoneout(h, np.zeros((2, 3), np.float64))
    with pytest.raises(ValueError, match='zoneout: ratio'):
        F.zoneout(h, h, 1.5)
    with pytest.raises(ValueError, match='zoneout: the train argument'):
        F.zoneout(h, h, train=False)
