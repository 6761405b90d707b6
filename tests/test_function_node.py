import gc

import numpy as np
import pytest

import tracegrad
from tracegrad import FunctionNode, Variable, backend
from tracegrad.utils import type_check

# Every test here runs on both eager hot paths (C and Python; see conftest.py).
pytestmark = pytest.mark.usefixtures('hot_path')


def f32(*values):
    return np.array(values, np.float32)


class Square(FunctionNode):
    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x, = in_types
        type_check.expect(x.dtype.kind == 'f', x.ndim == 1)

    def forward(self, inputs):
        self.retain_inputs((0,))
        return inputs[0] ** 2,

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return 2 * x * grad_outputs[0],


class ExpLike(FunctionNode):
    """Retains its output; backward uses it (y' = y)."""

    def forward_cpu(self, inputs):
        self.retain_outputs((0,))
        return np.exp(inputs[0]),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return y * grad_outputs[0],


class TwoOut(FunctionNode):
    def forward(self, inputs):
        x, = inputs
        return x * 2, x * 3

    def backward(self, indexes, grad_outputs):
        g0, g1 = grad_outputs
        total = None
        if g0 is not None:
            total = g0 * 2
        if g1 is not None:
            total = g1 * 3 if total is None else total + g1 * 3
        return total,


def test_apply_builds_graph():
    x = Variable(f32(1, 2))
    func = Square()
    y, = func.apply((x,))
    assert y.creator is func and func.inputs == (x.node,)
    assert func.outputs[0]() is y.node and func.rank == 0 and y.rank == 1
    assert func.label == 'Square'
    y.grad = f32(1, 1)
    y.backward()
    np.testing.assert_array_equal(x.grad, [2, 4])


def test_apply_accepts_arrays_as_constants():
    y, = Square().apply((f32(3),))
    assert isinstance(y, Variable) and y.creator is None and not y.requires_grad


def test_no_backprop_mode_builds_no_graph():
    x = Variable(f32(1))
    with tracegrad.no_backprop_mode():
        y, = Square().apply((x,))
        with tracegrad.force_backprop_mode():
            z, = Square().apply((x,))
    assert y.creator is None and z.creator is not None


def test_type_check_message_names_function_expectation_and_value():
    with pytest.raises(type_check.InvalidType) as e:
        Square().apply((np.zeros((2, 2), np.float32),))
    msg = str(e.value)
    assert 'Invalid operation is performed in: Square (Forward)' in msg
    assert 'Expect: x.ndim == 1' in msg and 'Actual: 2 != 1' in msg


def test_type_check_can_be_disabled():
    with tracegrad.using_config('type_check', False):
        y, = Square().apply((np.zeros((2, 2), np.float32),))
    assert y.shape == (2, 2)


def test_type_check_cache_does_not_hide_errors():
    Square().apply((f32(1),))
    Square().apply((f32(1),))  # cached signature
    with pytest.raises(type_check.InvalidType):
        Square().apply((np.zeros((1, 1), np.float32),))
    with pytest.raises(type_check.InvalidType, match="x.dtype.kind == 'f'"):
        Square().apply((np.zeros(1, np.int32),))


def test_forward_cpu_dispatch_and_retained_outputs():
    x = Variable(f32(0, 1))
    y, = ExpLike().apply((x,))
    y.grad = f32(1, 1)
    y.backward()
    np.testing.assert_allclose(x.grad, np.exp([0, 1]), rtol=1e-6)


def test_retained_output_survives_output_variable_deletion():
    x = Variable(f32(0, 1))
    y, = ExpLike().apply((x,))
    z = y * 2
    del y
    gc.collect()
    z.grad = f32(1, 1)
    z.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp([0, 1]), rtol=1e-6)


def test_unused_output_gets_none_grad():
    x = Variable(f32(1))
    a, b = TwoOut().apply((x,))
    b.grad = f32(1)
    b.backward()
    np.testing.assert_array_equal(x.grad, [3])


def test_forward_must_return_tuple():
    class Bad(FunctionNode):
        def forward(self, inputs):
            return inputs[0]

    with pytest.raises(TypeError, match='Bad.forward must return a tuple'):
        Bad().apply((f32(1),))


def test_missing_forward_cpu():
    class NoCpu(FunctionNode):
        pass

    with pytest.raises(NotImplementedError, match='NoCpu does not implement forward_cpu'):
        NoCpu().apply((f32(1),))


def test_backward_may_return_one_grad_per_input():
    class Mul2(FunctionNode):
        def forward(self, inputs):
            self.retain_inputs((0, 1))
            return inputs[0] * inputs[1],

        def backward(self, indexes, grad_outputs):
            a, b = self.get_retained_inputs()
            gy, = grad_outputs
            return gy * b, gy * a  # always both, even if one is not a target

    a = Variable(f32(2), requires_grad=False)
    b = Variable(f32(5))
    y, = Mul2().apply((a, b))
    y.backward()
    np.testing.assert_array_equal(b.grad, [2])
    assert a.grad is None


def test_backward_with_wrong_gradient_shape_is_reported():
    class WrongShape(FunctionNode):
        def forward(self, inputs):
            return inputs[0] * 2,

        def backward(self, indexes, grad_outputs):
            return Variable(np.zeros(5, np.float32)),

    y, = WrongShape().apply((Variable(f32(1, 2)),))
    y.grad = f32(1, 1)
    with pytest.raises(ValueError, match=r'WrongShape.backward: the gradient of input 0 has shape \(5,\)'):
        y.backward()


def test_inputs_on_different_devices_raise():
    class FakeDeviceArray(np.ndarray):
        pass

    class FakeModule:
        __name__ = 'fakecupy'

    backend.register_array_namespace(FakeDeviceArray, FakeModule)
    try:
        other = np.zeros(2, np.float32).view(FakeDeviceArray)
        with pytest.raises(TypeError, match='Square: inputs are on different devices'):
            Square().apply((f32(1, 2), other))
    finally:
        del backend._namespaces[FakeDeviceArray]


def test_unchain_cuts_graph():
    x = Variable(f32(1))
    func = Square()
    y, = func.apply((x,))
    func.unchain()
    assert y.creator is None and func.inputs is None
