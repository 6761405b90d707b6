import numpy as np
import pytest

import tracegrad
from tracegrad import Variable

# Every test here runs on both eager hot paths (C and Python; see conftest.py).
pytestmark = pytest.mark.usefixtures('hot_path')


def f32(*values):
    return np.array(values, np.float32)


def test_grad_does_not_touch_dot_grad():
    x = Variable(f32(1, 2))
    y = x * x
    gx, = tracegrad.grad([y], [x], grad_outputs=[f32(1, 1)])
    np.testing.assert_array_equal(gx.array, [2, 4])
    assert x.grad is None


def test_grad_set_grad_and_grad_inputs():
    x = Variable(f32(1, 2))
    gx, = tracegrad.grad([x * 3], [x], grad_outputs=[f32(1, 1)], grad_inputs=[f32(10, 10)],
                         set_grad=True)
    np.testing.assert_array_equal(gx.array, [13, 13])
    assert x.grad_var is gx


def test_grad_wrt_intermediate_variable():
    x = Variable(f32(2))
    h = x * 3
    y = h * h
    gh, gx = tracegrad.grad([y], [h, x])
    np.testing.assert_allclose(gh.array, [12])
    np.testing.assert_allclose(gx.array, [36])


def test_grad_of_unrelated_input_is_none():
    x = Variable(f32(1))
    z = Variable(f32(1))
    gx, gz = tracegrad.grad([x * 2], [x, z])
    assert gz is None and gx.array[0] == 2


def test_grad_higher_order():
    x = Variable(f32(2))
    y = x * x * x * x                   # x^4
    g1, = tracegrad.grad([y], [x], enable_double_backprop=True)    # 4x^3 = 32
    g2, = tracegrad.grad([g1], [x], enable_double_backprop=True)   # 12x^2 = 48
    g3, = tracegrad.grad([g2], [x])                                 # 24x = 48
    assert (g1.item(), g2.item(), g3.item()) == (32, 48, 48)


def test_grad_argument_errors():
    x = Variable(f32(1, 2))
    with pytest.raises(TypeError, match='grad: outputs must be a tuple or a list'):
        tracegrad.grad(x, [x])
    with pytest.raises(TypeError, match='grad: each of inputs must be a Variable'):
        tracegrad.grad([x], [f32(1)])
    with pytest.raises(ValueError, match=r'grad: output of shape \(2,\) needs a grad_outputs'):
        tracegrad.grad([x * 2], [x])
    with pytest.raises(ValueError, match='grad_outputs has 2 entries'):
        tracegrad.grad([x], [x], grad_outputs=[None, None])


def test_backward_multiple_outputs():
    x = Variable(f32(1, 2))
    a = x * 2
    b = x * x
    a.grad = f32(1, 1)
    b.grad = f32(1, 1)
    tracegrad.backward([a, b])
    np.testing.assert_array_equal(x.grad, [4, 6])


def test_backward_with_explicit_grad_outputs():
    x = Variable(f32(1, 2))
    tracegrad.backward([x * 2], [f32(1, 2)])
    np.testing.assert_array_equal(x.grad, [2, 4])
    with pytest.raises(ValueError, match='grad_outputs has 1 entries but outputs has 2'):
        tracegrad.backward([x, x], [f32(1, 2)])
    with pytest.raises(TypeError, match='must be a Variable'):
        tracegrad.backward([f32(1)])


def test_seed_shape_is_checked():
    x = Variable(f32(1, 2))
    with pytest.raises(ValueError, match='gradient shape'):
        tracegrad.grad([x * 2], [x], grad_outputs=[f32(1, 2, 3)])


def test_shared_gradient_is_not_aliased_between_leaves():
    a = Variable(f32(1, 2))
    b = Variable(f32(3, 4))
    y = a + b                    # Add hands the same gradient to both inputs
    y.grad = f32(1, 1)
    y.backward()
    a.grad[...] = 100            # e.g. an in-place optimizer hook
    np.testing.assert_array_equal(b.grad, [1, 1])


def test_long_chain_is_not_recursive():
    x = Variable(f32(1))
    y = x
    for _ in range(5000):
        y = y * 1
    y.backward()
    assert x.grad[0] == 1
