import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing


@testing.parameterize(*testing.product({
    'shape': [(3, 2), (1,), ()],
    'case': [(np.float32, np.float64), (np.float64, np.float32), (np.float32, 'float16'),
             (np.float64, np.float64)],
}))
class TestCast(testing.FunctionTestCase):
    def setUp(self):
        self.in_dtype, self.out_dtype = self.case
        self.check_forward_options = {'atol': 1e-3, 'rtol': 1e-3}
        options = {'atol': 1e-3, 'rtol': 1e-2}
        if 'float16' in (self.in_dtype, self.out_dtype):
            options = {'atol': 5e-2, 'rtol': 5e-2, 'eps': 1e-2}
        self.check_backward_options = self.check_double_backward_options = options

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.in_dtype),

    def forward(self, inputs, device):
        return F.cast(inputs[0], self.out_dtype),

    def forward_expected(self, inputs):
        return inputs[0].astype(self.out_dtype),


def test_cast_gradient_dtype_and_int_input():
    x = Variable(np.array([1.5, 2.5], np.float32))
    y = F.cast(x, np.float64)
    assert y.dtype == np.float64
    y.grad = np.array([1., 2.])
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1., 2.])
    i = Variable(np.array([1, 2], np.int32))
    f = F.cast(i, np.float32)
    f.grad = np.ones(2, np.float32)
    f.backward()
    assert i.grad is None


def test_cast_same_dtype_without_backprop_returns_input():
    x = Variable(np.ones(2, np.float32))
    with tracegrad.no_backprop_mode():
        assert F.cast(x, np.float32) is x
    assert F.cast(x, np.float32) is not x


def test_cast_bad_type():
    with pytest.raises(TypeError, match='cast'):
        F.cast(np.ones(2, np.float32), 'no-such-type')


class TestCopy(testing.FunctionTestCase):
    dtype = np.float32

    def setUp(self):
        self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, (3, 2)).astype(np.float32),

    def forward(self, inputs, device):
        return F.copy(inputs[0], device),

    def forward_expected(self, inputs):
        return inputs[0],


def test_copy_device_specs():
    x = Variable(np.arange(3, dtype=np.float32))
    for spec in ('@numpy', -1, np, tracegrad.backend.CpuDevice()):
        y = F.copy(x, spec)
        assert y.device == tracegrad.backend.CpuDevice()
        np.testing.assert_array_equal(y.array, x.array)
    y = F.copy(x, -1)
    y.grad = np.ones(3, np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))
    with pytest.raises(ValueError, match='get_device'):
        F.copy(x, '@nowhere')


@pytest.mark.gpu
def test_copy_to_gpu_and_back():
    cuda = pytest.importorskip('tracegrad.backends.cuda')
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    x = Variable(np.arange(3, dtype=np.float32))
    y = F.copy(x, '@cupy:0')
    assert isinstance(y.array, cuda.cupy.ndarray)
    z = F.copy(y * 2, -1)
    assert isinstance(z.array, np.ndarray)
    z.grad = np.ones(3, np.float32)
    z.backward()
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, [2., 2., 2.])
