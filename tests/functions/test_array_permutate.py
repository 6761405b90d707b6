import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'case': [((3,), [2, 0, 1], 0), ((3, 2), [1, 2, 0], 0), ((2, 5), [4, 0, 3, 1, 2], 1),
             ((2, 3, 4), [3, 1, 0, 2], -1), ((1, 3), [0], 0), ((4, 1), [0], -1)],
    'inv': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestPermutate(testing.FunctionTestCase):
    def setUp(self):
        self.shape, indices, self.axis = self.case
        self.indices = np.array(indices, np.int32)
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.permutate(inputs[0], device.send(self.indices), self.axis, self.inv),

    def forward_expected(self, inputs):
        x = np.moveaxis(inputs[0], self.axis, 0)
        y = np.empty_like(x)
        for i, j in enumerate(self.indices):
            if self.inv:
                y[j] = x[i]
            else:
                y[i] = x[j]
        return np.moveaxis(y, 0, self.axis),


def test_indices_as_variable():
    x = np.arange(3, dtype=np.float32)
    y = F.permutate(x, Variable(np.array([1, 2, 0], np.int64)))
    np.testing.assert_array_equal(y.array, [1., 2., 0.])


def test_errors():
    x = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match='permutate: indices must be a permutation'):
        F.permutate(x, np.array([0, 0, 1], np.int32))
    with pytest.raises(ValueError, match='permutate: indices must be a permutation'):
        F.permutate(x, np.array([0, 1, 3], np.int32))
    with pytest.raises(ValueError, match='permutate: indices must be a one-dimensional int'):
        F.permutate(x, np.array([0., 1., 2.]))
    with pytest.raises(ValueError, match='permutate: indices must be a one-dimensional int'):
        F.permutate(x, np.array([[0, 1, 2]]))
    with pytest.raises(InvalidType, match='Permutate'):
        F.permutate(x, np.array([0, 1, 2], np.int32), axis=1)
    with pytest.raises(InvalidType, match='Permutate'):
        F.permutate(x, np.array([0, 1, 2], np.int32), axis=2)
    with pytest.raises(TypeError, match='permutate: axis'):
        F.permutate(x, np.array([0, 1, 2], np.int32), axis=None)


@pytest.mark.gpu
def test_device_indices_are_checked_only_in_debug_mode():
    """Checking CuPy indices waits for the device: done in debug mode only, as in Chainer
    (counted by the CPU stand-in for CuPy)."""
    cupy = pytest.importorskip('cupy')
    if getattr(cupy, '__version__', None) != 'host':
        pytest.skip('counts copies through the CPU stand-in for CuPy (TRACEGRAD_HOST_CUPY=1)')
    import host_cupy

    import tracegrad

    x = cupy.asarray(np.arange(6, dtype=np.float32).reshape(3, 2))
    indices = cupy.asarray(np.array([2, 0, 1], np.int32))
    host_cupy.TRANSFERS.clear()
    y = F.permutate(x, indices)
    assert host_cupy.TRANSFERS['to_host'] == 0
    np.testing.assert_array_equal(cupy.asnumpy(y.array), [[4, 5], [0, 1], [2, 3]])
    with tracegrad.using_config('debug', True), \
            pytest.raises(ValueError, match='permutate: indices must be a permutation'):
        F.permutate(x, cupy.asarray(np.array([0, 0, 1], np.int32)))
