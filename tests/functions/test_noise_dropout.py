import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), (5, 7), (2, 3, 5), ()],
    'dtype': [np.float16, np.float32, np.float64],
    'ratio': [0.0, 0.5, 0.8],
}))
class TestDropout(testing.FunctionTestCase):
    def setUp(self):
        rng = np.random.RandomState(7)
        scale = self.dtype(1 / (1 - self.ratio))
        self.mask = ((rng.uniform(size=self.shape) >= self.ratio) * scale).astype(self.dtype)
        if self.dtype == np.float16:
            # Dropout is linear in x, so float16 finite differences are exact enough.
            self.check_backward_options = {'atol': 5e-2, 'rtol': 5e-2, 'eps': 0.125}
            self.check_double_backward_options = {'atol': 5e-2, 'rtol': 5e-2, 'eps': 0.125}
        elif self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        with tracegrad.using_config('train', True):
            return F.dropout(inputs[0], self.ratio, mask=device.send(self.mask)),

    def forward_expected(self, inputs):
        return np.asarray(inputs[0] * self.mask).astype(self.dtype),


@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
@pytest.mark.parametrize('ratio', [0.0, 0.3, 0.5])
def test_seeded_mask_is_chainers_draw(dtype, ratio):
    x = np.random.uniform(-1, 1, (4, 5)).astype(dtype)
    np.random.seed(3)
    expected = (np.random.rand(4, 5) >= ratio) * dtype(1. / (1 - ratio))
    np.random.seed(3)
    with tracegrad.using_config('train', True):
        y, mask = F.dropout(x, ratio, return_mask=True)
    assert mask.dtype == dtype and y.dtype == dtype
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(y.array, x * expected)
    # Exactly one uniform draw per element was consumed, as in Chainer.
    next_draw = np.random.rand()
    np.random.seed(3)
    np.random.rand(20)
    assert np.random.rand() == next_draw


def test_draws_advance_the_global_state():
    x = np.ones((50,), np.float32)
    with tracegrad.using_config('train', True):
        m1 = F.dropout(x, return_mask=True)[1]
        m2 = F.dropout(x, return_mask=True)[1]
    assert set(np.unique(m1)) <= {0., 2.}
    assert not np.array_equal(m1, m2)


def test_test_mode_is_identity():
    x = Variable(np.array([1., -2.], np.float32))
    with tracegrad.using_config('train', False):
        y = F.dropout(x, 0.9)
        y2, mask = F.dropout(x.array, return_mask=True)
    assert y is x
    assert isinstance(y2, Variable)
    np.testing.assert_array_equal(y2.array, x.array)
    assert mask is None


def test_given_mask_is_used_and_returned():
    x = Variable(np.array([1., -2., 3.], np.float32))
    mask = np.array([0., 3., 1.5], np.float32)
    with tracegrad.using_config('train', True):
        y, m = F.dropout(x, 0.5, mask=mask, return_mask=True)
    assert m is mask
    np.testing.assert_array_equal(y.array, [0., -6., 4.5])
    y.grad = np.ones(3, np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, mask)


def test_argument_errors():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r'dropout: ratio must be in the range \[0, 1\)'):
        F.dropout(x, 1.0)
    with pytest.raises(ValueError, match='dropout: ratio'):
        F.dropout(x, -0.1)
    with pytest.raises(ValueError, match='train argument is not supported'):
        F.dropout(x, train=True)
    with pytest.raises(TypeError, match='unexpected keyword argument.*foo'):
        F.dropout(x, foo=1)


def test_bad_mask_and_input():
    with tracegrad.using_config('train', True):
        with pytest.raises(InvalidType, match=r'Dropout[\s\S]*mask.shape == x.shape'):
            F.dropout(np.ones((2, 3), np.float32), mask=np.ones((3,), np.float32))
        with pytest.raises(InvalidType, match='mask.dtype == x.dtype'):
            F.dropout(np.ones((2, 3), np.float32), mask=np.ones((2, 3), np.float64))
        with pytest.raises(InvalidType, match='Dropout'):
            F.dropout(np.ones((2, 3), np.int32))


def test_compiled_dropout_draws_the_same_bits_as_eager():
    x = np.random.uniform(-1, 1, (3, 5)).astype(np.float32)

    def step(a):
        return F.dropout(a, 0.4) * 1

    compiled = tracegrad.compile(step, backend='reference')
    with tracegrad.using_config('train', True):
        compiled(x)  # trace
        np.random.seed(4)
        got = compiled(x).array
        np.random.seed(4)
        expected = step(x).array
    np.testing.assert_array_equal(got, expected)
