import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType

_SLICES = {
    'int': (1,),
    'slice': (slice(1, None, 2),),
    'ellipsis': (Ellipsis, 1),
    'none': (None, 0, slice(None)),
    'int_list': [0, 2],
    'repeated': (np.array([0, 2, 0, 4]),),
    'axis1_array': (slice(None), np.array([2, 0, 2])),
    'mask': (np.array([True, False, True, True, False]),),
    'all': (Ellipsis,),
}


@testing.parameterize(*testing.product({
    'index': sorted(_SLICES),
    'dtype': [np.float32, np.float64],
}))
class TestScatterAdd(testing.FunctionTestCase):
    shape = (5, 3, 2)

    def setUp(self):
        self.slices = _SLICES[self.index]
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def _key(self):
        return (self.slices,) if isinstance(self.slices, list) else self.slices

    def generate_inputs(self):
        a = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        b_shape = np.empty(self.shape)[self._key()].shape
        return a, np.random.uniform(-1, 1, b_shape).astype(self.dtype)

    def forward(self, inputs, device):
        return F.scatter_add(inputs[0], self.slices, inputs[1]),

    def forward_expected(self, inputs):
        a, b = inputs
        y = a.copy()
        # a hand loop over the positions, so repeated indices add up
        positions = np.arange(a.size).reshape(a.shape)[self._key()]
        flat = y.reshape(-1)
        for pos, v in zip(positions.reshape(-1), b.reshape(-1)):
            flat[pos] += v
        return y,


def test_input_is_unchanged():
    a = np.zeros(3, np.float32)
    y = F.scatter_add(a, [0, 0], np.ones(2, np.float32))
    np.testing.assert_array_equal(y.array, [2., 0., 0.])
    np.testing.assert_array_equal(a, 0.)


def test_errors():
    a = np.zeros((3, 2), np.float32)
    with pytest.raises(InvalidType, match='ScatterAdd'):  # b would need broadcasting
        F.scatter_add(a, 0, np.ones(1, np.float32))
    with pytest.raises(InvalidType, match='ScatterAdd'):
        F.scatter_add(a, 0, np.ones(2, np.float64))
    with pytest.raises(ValueError, match='scatter_add: only one Ellipsis'):
        F.scatter_add(a, (Ellipsis, Ellipsis), np.ones((3, 2), np.float32))


@pytest.mark.gpu
def test_device_index_arrays_stay_on_the_device():
    """The shape check needs only the index arrays' shapes (a boolean mask's values
    excepted): no copy to the host, counted by the CPU stand-in for CuPy."""
    cupy = pytest.importorskip('cupy')
    if getattr(cupy, '__version__', None) != 'host':
        pytest.skip('counts copies through the CPU stand-in for CuPy (TRACEGRAD_HOST_CUPY=1)')
    import host_cupy

    a = cupy.asarray(np.zeros((4, 3), np.float32))
    rows = cupy.asarray(np.array([0, 2, 0]))
    b = cupy.asarray(np.arange(9, dtype=np.float32).reshape(3, 3))
    host_cupy.TRANSFERS.clear()
    y = F.scatter_add(a, (rows,), b)
    assert host_cupy.TRANSFERS['to_host'] == 0
    expected = np.zeros((4, 3), np.float32)
    np.add.at(expected, [0, 2, 0], np.arange(9, dtype=np.float32).reshape(3, 3))
    np.testing.assert_array_equal(cupy.asnumpy(y.array), expected)
    with pytest.raises(InvalidType, match='ScatterAdd'):  # still checked: 2 rows, b has 3
        F.scatter_add(a, (rows[:2],), b)
    mask = cupy.asarray(np.array([True, False, True, False]))
    y = F.scatter_add(a, mask, b[:2])  # a mask's values set the shape: read on the host
    np.testing.assert_array_equal(cupy.asnumpy(y.array)[[0, 2]], np.arange(6).reshape(2, 3))
