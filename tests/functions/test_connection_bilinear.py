import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def bilinear_reference(e1, e2, W, V1=None, V2=None, b=None):
    """Loops over the batch and the output units."""
    e1 = e1.reshape(len(e1), -1)
    e2 = e2.reshape(len(e2), -1)
    y = np.zeros((len(e1), W.shape[2]), e1.dtype)
    for i in range(len(e1)):
        for out in range(W.shape[2]):
            y[i, out] = e1[i] @ W[:, :, out] @ e2[i]
            if V1 is not None:
                y[i, out] += e1[i] @ V1[:, out] + e2[i] @ V2[:, out] + b[out]
    return y


@testing.parameterize(*testing.product({
    'shapes': [((3, 2), (3, 4), 5), ((1, 3), (1, 1), 2), ((2, 2, 3), (2, 5), 3)],
    'linear': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestBilinear(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        s1, s2, out = self.shapes
        j, k = int(np.prod(s1[1:])), int(np.prod(s2[1:]))
        arrays = [np.random.uniform(-1, 1, s).astype(self.dtype)
                  for s in (s1, s2, (j, k, out))]
        if self.linear:
            arrays += [np.random.uniform(-1, 1, s).astype(self.dtype)
                       for s in ((j, out), (k, out), (out,))]
        return tuple(arrays)

    def forward(self, inputs, device):
        return F.bilinear(*inputs),

    def forward_expected(self, inputs):
        return bilinear_reference(*inputs),


def test_bilinear_errors():
    e1, e2 = np.ones((3, 2), np.float32), np.ones((3, 4), np.float32)
    W = np.ones((2, 4, 5), np.float32)
    with pytest.raises(ValueError, match='bilinear: V1, V2 and b must be all given'):
        F.bilinear(e1, e2, W, np.ones((2, 5), np.float32))
    with pytest.raises(InvalidType, match=r'BilinearFunction[\s\S]*prod\(e1.shape\[1:\]\) == '):
        F.bilinear(e1, e2, np.ones((3, 4, 5), np.float32))
    with pytest.raises(InvalidType, match=r'e1.shape\[0\] == e2.shape\[0\]'):
        F.bilinear(e1, e2[:2], W)
    with pytest.raises(InvalidType, match='W.dtype == e1.dtype'):
        F.bilinear(e1, e2, W.astype(np.float64))
    with pytest.raises(InvalidType, match=r'V2.shape\[0\] == W.shape\[1\]'):
        F.bilinear(e1, e2, W, np.ones((2, 5), np.float32), np.ones((3, 5), np.float32),
                   np.ones(5, np.float32))


def test_bilinear_empty_batch():
    # Chainer accepts a batch of zero samples; flattening must not rely on reshape(n, -1)
    e1 = tracegrad.Variable(np.ones((0, 2, 2), np.float32))
    e2 = tracegrad.Variable(np.ones((0, 3), np.float32))
    W = tracegrad.Variable(np.ones((4, 3, 5), np.float32))
    y = F.bilinear(e1, e2, W)
    assert y.shape == (0, 5) and y.dtype == np.float32
    y.grad = np.zeros((0, 5), np.float32)
    y.backward()
    assert e1.grad.shape == (0, 2, 2) and e2.grad.shape == (0, 3)
    np.testing.assert_array_equal(W.grad, np.zeros((4, 3, 5), np.float32))
