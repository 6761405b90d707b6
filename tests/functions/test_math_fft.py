"""fft and ifft on (real, imag) pairs."""
import numpy as np
import pytest

from tracegrad import Variable, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType


def _dft(real, imag, inverse):
    """The transform along the last axis by its matrix (the reference)."""
    n = real.shape[-1]
    k = np.arange(n)
    w = np.exp((2j if inverse else -2j) * np.pi * np.outer(k, k) / n)
    y = (real.astype(np.float64) + 1j * imag) @ w.T
    return y / n if inverse else y


@testing.parameterize(*testing.product({
    'shape': [(1,), (4,), (7,), (3, 5), (2, 1, 6)],
    'method': ['fft', 'ifft'],
    'dtype': [np.float32, np.float64],
}))
class TestFFT(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
        else:
            self.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}

    def generate_inputs(self):
        return (np.random.uniform(-1, 1, self.shape).astype(self.dtype),
                np.random.uniform(-1, 1, self.shape).astype(self.dtype))

    def forward(self, inputs, device):
        return getattr(F, self.method)(inputs)

    def forward_expected(self, inputs):
        y = _dft(*inputs, inverse=self.method == 'ifft')
        return y.real.astype(self.dtype), y.imag.astype(self.dtype)


def test_ifft_inverts_fft():
    x = (np.random.rand(3, 8), np.random.rand(3, 8))
    r, i = F.ifft(F.fft(x))
    np.testing.assert_allclose(r.array, x[0], atol=1e-12)
    np.testing.assert_allclose(i.array, x[1], atol=1e-12)


def test_fft_gradient_of_one_output_only():
    real = Variable(np.random.rand(5))
    imag = Variable(np.random.rand(5))
    r, _ = F.fft((real, imag))
    F.sum(r).backward()
    # sum_k Re(y_k) = n * Re(x_0): only the first element gets a gradient, through real
    np.testing.assert_allclose(real.grad, [5., 0., 0., 0., 0.], atol=1e-12)
    np.testing.assert_allclose(imag.grad, np.zeros(5), atol=1e-12)


def test_fft_errors():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(InvalidType, match=r'(?s)fft.*imag.shape == real.shape'):
        F.fft((a, np.zeros((3, 2), np.float32)))
    with pytest.raises(InvalidType, match=r'(?s)ifft.*imag.dtype == real.dtype'):
        F.ifft((a, a.astype(np.float64)))
    with pytest.raises(InvalidType, match=r'real.ndim > 0'):
        F.fft((np.ones((), np.float32), np.ones((), np.float32)))
    with pytest.raises(InvalidType, match=r'real.dtype.kind == .f.'):
        F.fft((a.astype(np.int32), a.astype(np.int32)))
