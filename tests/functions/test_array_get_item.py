import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing


def _mask():
    return np.array([True, False, True, True, False])


_SLICES = {
    'int': (1,),
    'neg_int': (-1,),
    'slice': (slice(1, None, 2),),
    'neg_step': (slice(None, None, -2), 1),
    'ellipsis': (Ellipsis, 1),
    'none': (None, 0, slice(None), None),
    'mixed': (1, None, Ellipsis, slice(0, 2)),
    'int_list': [0, 2],
    'repeated': (np.array([0, 2, 0, 0]),),
    'int_array_2d': (np.array([[0, 1], [3, 3]]),),
    'two_arrays': (np.array([0, 3, 3]), slice(None), np.array([1, 0, 1])),
    'array_and_slice': (slice(None), np.array([2, 0, 2])),
    'mask': (_mask(),),
    'mask_axis1': (slice(None), np.array([True, True, False])),
    'mask_2d': (np.random.RandomState(0).rand(5, 3) > 0.5,),
    'empty': (slice(2, 2),),
}


@testing.parameterize(*testing.product({
    'index': sorted(_SLICES),
    'dtype': [np.float32, np.float64],
}))
class TestGetItem(testing.FunctionTestCase):
    shape = (5, 3, 2)

    def setUp(self):
        self.slices = _SLICES[self.index]
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.get_item(inputs[0], self.slices),

    def forward_expected(self, inputs):
        s = self.slices
        s = (s,) if isinstance(s, list) else s
        return np.asarray(inputs[0][s]),


@testing.parameterize(*testing.product({
    'case': [((1,), 0), ((7,), slice(1, 6, 2)), ((3,), [2, 2, 1])],
    'dtype': [np.float32, np.float64],
}))
class TestGetItemSmall(testing.FunctionTestCase):
    def setUp(self):
        self.shape, self.slices = self.case
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.get_item(inputs[0], self.slices),

    def forward_expected(self, inputs):
        s = self.slices
        s = np.array(s) if isinstance(s, list) else s
        return np.asarray(inputs[0][s]),


def test_repeated_indices_accumulate_gradient():
    x = Variable(np.zeros(4, np.float32))
    y = F.get_item(x, np.array([1, 1, 3, 1]))
    y.grad = np.array([1., 2., 3., 4.], np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [0., 7., 0., 3.])


def test_double_backward_of_get_item_grad():
    x = Variable(np.arange(4, dtype=np.float64))
    y = F.get_item(x, [0, 0, 2])
    gy = Variable(np.array([1., 2., 3.]))
    y.grad_var = gy
    y.backward(enable_double_backprop=True)
    gx = x.grad_var
    np.testing.assert_array_equal(gx.array, [3., 0., 3., 0.])
    # d(sum(gx * w))/d(gy) = w[index]
    z = F.get_item(gx * np.array([10., 20., 30., 40.]), slice(None))
    z.grad = np.ones(4)
    gy.cleargrad()
    z.backward()
    np.testing.assert_array_equal(gy.grad, [10., 10., 30.])


def test_variable_getitem_methods():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = Variable(a)
    np.testing.assert_array_equal(x[..., 1].array, a[..., 1])
    np.testing.assert_array_equal(x[[0, 1]].array, a[[0, 1]])
    np.testing.assert_array_equal(x[1, :, ::2].array, a[1, :, ::2])
    np.testing.assert_array_equal(x[None, 0].array, a[None, 0])
    mask = a > 10
    np.testing.assert_array_equal(x[mask].array, a[mask])
    y = x[mask]
    y.grad = np.ones(y.shape, np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, mask.astype(np.float32))


def test_variable_getitem_list_of_ints_is_one_index():
    x = Variable(np.arange(6, dtype=np.float32).reshape(3, 2))
    assert x[[0, 2]].shape == (2, 2)


def test_get_item_keeps_dtype_and_zero_dim():
    x = Variable(np.arange(3, dtype=np.float32))
    y = x[1]
    assert y.shape == () and y.dtype == np.float32
    y.backward()
    np.testing.assert_array_equal(x.grad, [0., 1., 0.])


def test_get_item_errors():
    x = Variable(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match='get_item: only one Ellipsis'):
        F.get_item(x, (Ellipsis, Ellipsis))
    with pytest.raises(TypeError, match='get_item'):
        F.get_item(x, (Variable(np.array([0])),))
    with pytest.raises(TypeError, match='get_item'):
        F.get_item(x, 'a')
    with pytest.raises(IndexError):
        F.get_item(x, 5)
