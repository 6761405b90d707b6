import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _tol(case):
    if case.dtype == np.float32:
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}


@testing.parameterize(*testing.product({
    'case': [((3, 2), 1, {}), ((3, 2), (1, 2), {'constant_values': 1.5}),
             ((2, 3, 5), ((0, 0), (1, 0), (2, 3)), {}), ((5,), ((2, 1),), {}),
             ((1,), 0, {})],
    'mode': ['constant', 'edge', 'reflect', 'symmetric', 'wrap'],
    'dtype': [np.float32, np.float64],
}))
class TestPad(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.pad_width, self.kw = self.case
        if self.mode != 'constant':
            self.kw = {}
        if self.mode == 'reflect' and self.shape == (1,):
            self.pad_width = 0
        _tol(self)

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.pad(inputs[0], self.pad_width, self.mode, **self.kw),

    def forward_expected(self, inputs):
        return np.pad(inputs[0], self.pad_width, mode=self.mode, **self.kw),


def test_reflect_pad_gradient_counts_copies():
    x = Variable(np.zeros(3, np.float32))
    y = F.pad(x, (2, 1), 'reflect')  # [x2 x1 | x0 x1 x2 | x1]
    y.grad = np.ones(6, np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [1., 3., 2.])


def test_pad_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match='pad: pad_width'):
        F.pad(x, ((1, 1), (1, 1), (1, 1)), 'constant')
    with pytest.raises(ValueError, match='pad: pad_width must not be negative'):
        F.pad(x, -1, 'constant')
    with pytest.raises(TypeError, match='pad: pad_width must hold ints'):
        F.pad(x, 1.5, 'constant')
    with pytest.raises(ValueError, match="pad: mode 'median'"):
        F.pad(x, 1, 'median')
    with pytest.raises(ValueError, match='pad'):
        F.pad(x, 1, 'reflect', reflect_type='odd')
    with pytest.raises(TypeError, match='pad'):
        F.pad(x, 1, 'constant', end_values=2)
    with pytest.raises(InvalidType, match='Pad'):
        F.pad(np.zeros((2, 3), np.int32), 1, 'constant')
    with pytest.raises(InvalidType, match='Pad'):
        F.pad(np.zeros((2, 3), np.int32), 1, 'edge')


@testing.parameterize(*testing.product({
    'case': [([(3, 2), (1, 2), (2, 2)], None, 0), ([(3,), (1,)], 5, -1.5),
             ([(1,)], None, 0), ([(2, 1, 3), (0, 1, 3)], 4, 2)],
    'dtype': [np.float32, np.float64],
}))
class TestPadSequence(testing.FunctionTestCase):
    def setUp(self):
        self.shapes, self.length, self.padding = self.case
        _tol(self)

    def generate_inputs(self):
        return tuple(np.random.uniform(-1, 1, s).astype(self.dtype) for s in self.shapes)

    def forward(self, inputs, device):
        return F.pad_sequence(list(inputs), self.length, self.padding),

    def forward_expected(self, inputs):
        length = self.length or max(len(x) for x in inputs)
        y = np.full((len(inputs), length) + inputs[0].shape[1:], self.padding, self.dtype)
        for i, x in enumerate(inputs):
            y[i, :len(x)] = x
        return y,


def test_pad_sequence_errors():
    a = np.zeros((3, 2), np.float32)
    with pytest.raises(InvalidType, match='PadSequence'):
        F.pad_sequence([a, np.zeros((3, 1), np.float32)])
    with pytest.raises(InvalidType, match='PadSequence'):
        F.pad_sequence([a], length=2)
    with pytest.raises(InvalidType, match='PadSequence'):
        F.pad_sequence([np.zeros((), np.float32)])
    with pytest.raises(ValueError, match='pad_sequence'):
        F.pad_sequence([])
    with pytest.raises(TypeError, match='pad_sequence: length'):
        F.pad_sequence([a], length=2.5)
