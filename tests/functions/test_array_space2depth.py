import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def space2depth_ref(x, r):
    n, c, hr, wr = x.shape
    y = np.empty((n, c * r * r, hr // r, wr // r), x.dtype)
    for i in range(r):
        for j in range(r):
            for k in range(c):
                y[:, (i * r + j) * c + k] = x[:, k, i::r, j::r]
    return y


def depth2space_ref(x, r):
    n, crr, h, w = x.shape
    c = crr // (r * r)
    y = np.empty((n, c, h * r, w * r), x.dtype)
    for i in range(r):
        for j in range(r):
            for k in range(c):
                y[:, k, i::r, j::r] = x[:, (i * r + j) * c + k]
    return y


_TOL = {'atol': 1e-3, 'rtol': 1e-2}


@testing.parameterize(*testing.product({
    'case': [((1, 1, 4, 6), 2), ((2, 3, 6, 9), 3), ((1, 2, 5, 5), 1), ((3, 2, 4, 2), 2)],
    'dtype': [np.float32, np.float64],
}))
class TestSpace2Depth(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.r = self.case
        if self.dtype == np.float32:
            self.check_backward_options = self.check_double_backward_options = _TOL

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.space2depth(inputs[0], self.r),

    def forward_expected(self, inputs):
        return space2depth_ref(inputs[0], self.r),


@testing.parameterize(*testing.product({
    'case': [((1, 4, 2, 3), 2), ((2, 18, 3, 1), 3), ((1, 3, 5, 5), 1), ((3, 8, 1, 3), 2)],
    'dtype': [np.float32, np.float64],
}))
class TestDepth2Space(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.r = self.case
        if self.dtype == np.float32:
            self.check_backward_options = self.check_double_backward_options = _TOL

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.depth2space(inputs[0], self.r),

    def forward_expected(self, inputs):
        return depth2space_ref(inputs[0], self.r),


def test_round_trip():
    x = np.random.rand(2, 3, 6, 4).astype(np.float32)
    np.testing.assert_array_equal(F.depth2space(F.space2depth(x, 2), 2).array, x)


def test_errors():
    with pytest.raises(InvalidType, match='Space2Depth'):
        F.space2depth(np.zeros((1, 1, 5, 4), np.float32), 2)
    with pytest.raises(InvalidType, match='Space2Depth'):
        F.space2depth(np.zeros((1, 4, 4), np.float32), 2)
    with pytest.raises(InvalidType, match='Space2Depth'):
        F.space2depth(np.zeros((1, 1, 4, 4), np.int32), 2)
    with pytest.raises(InvalidType, match='Depth2Space'):
        F.depth2space(np.zeros((1, 6, 2, 2), np.float32), 2)
    with pytest.raises(ValueError, match='depth2space: r'):
        F.depth2space(np.zeros((1, 4, 2, 2), np.float32), 0)
    with pytest.raises(TypeError, match='space2depth: r'):
        F.space2depth(np.zeros((1, 4, 2, 2), np.float32), 2.0)
