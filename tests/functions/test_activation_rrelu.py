import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _away_from_zero(shape, dtype):
    x = np.random.uniform(0.1, 1, shape) * np.random.choice([-1, 1], shape)
    return x.astype(dtype)


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), (2, 3, 5)],
    'dtype': [np.float32, np.float64],
    'train': [True, False],
}))
class TestRReLU(testing.FunctionTestCase):
    l, u = 0.125, 1 / 3

    def setUp(self):
        self.r = np.random.RandomState(5).uniform(self.l, self.u, self.shape).astype(self.dtype)
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return _away_from_zero(self.shape, self.dtype),

    def forward(self, inputs, device):
        with tracegrad.using_config('train', self.train):
            return F.rrelu(inputs[0], self.l, self.u, r=device.send(self.r)),

    def forward_expected(self, inputs):
        x, = inputs
        slope = self.r if self.train else np.full(x.shape, (self.l + self.u) / 2)
        y = np.array([xi if xi >= 0 else xi * si for xi, si in zip(x.ravel(), slope.ravel())])
        return y.reshape(x.shape).astype(x.dtype),


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_seeded_slopes_are_chainers_draw(dtype):
    x = _away_from_zero((4, 5), dtype)
    np.random.seed(3)
    expected = np.random.uniform(0.2, 0.4, (4, 5)).astype(dtype)
    np.random.seed(3)
    with tracegrad.using_config('train', True):
        y, r = F.rrelu(x, 0.2, 0.4, return_r=True)
    assert r.dtype == dtype and y.dtype == dtype
    np.testing.assert_array_equal(r, expected)
    np.testing.assert_array_equal(y.array, np.where(x >= 0, x, x * expected))
    with tracegrad.using_config('train', True):
        y2 = F.rrelu(x, r=Variable(r))  # reused slopes give the same output
    np.testing.assert_array_equal(y2.array, y.array)


def test_test_mode_uses_mean_slope_and_returns_it():
    x = np.array([-2., 3.], np.float32)
    with tracegrad.using_config('train', False):
        y, r = F.rrelu(x, 0.1, 0.3, return_r=True)
    np.testing.assert_allclose(r, [0.2, 0.2])
    np.testing.assert_allclose(y.array, [-0.4, 3.])


def test_default_bounds():
    np.random.seed(0)
    with tracegrad.using_config('train', True):
        _, r = F.rrelu(np.full(1000, -1., np.float32), return_r=True)
    assert r.min() >= 1 / 8 and r.max() < 1 / 3


def test_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match='rrelu: l must be in'):
        F.rrelu(x, l=-0.1)
    with pytest.raises(ValueError, match='rrelu: u must be in'):
        F.rrelu(x, u=1.0)
    with pytest.raises(ValueError, match='rrelu: l must be less than u'):
        F.rrelu(x, l=0.3, u=0.2)
    with pytest.raises(ValueError, match='rrelu: the train argument'):
        F.rrelu(x, train=True)
    with pytest.raises(TypeError, match='rrelu.. got unexpected'):
        F.rrelu(x, mask=None)
    with tracegrad.using_config('train', True):
        with pytest.raises(InvalidType, match='RReLU'):
            F.rrelu(x, r=np.zeros((3, 2), np.float32))
        with pytest.raises(InvalidType, match='RReLU'):
            F.rrelu(x, r=np.zeros((2, 3), np.float64))
        with pytest.raises(InvalidType, match='RReLU'):
            F.rrelu(np.zeros((2, 3), np.int32), r=np.zeros((2, 3), np.int32))
