import copy
import gc
import pickle
import weakref

import numpy as np
import pytest

import tracegrad
from tracegrad import Parameter, Variable

# Every test here runs on both eager hot paths (C and Python; see conftest.py).
pytestmark = pytest.mark.usefixtures('hot_path')


def f32(*values):
    return np.array(values, np.float32)


class TestAttributes:
    def test_array_and_data_are_the_same(self):
        a = f32(1, 2)
        x = Variable(a)
        assert x.array is a and x.data is a
        b = f32(3, 4)
        x.data = b
        assert x.array is b

    def test_metadata(self):
        x = Variable(np.zeros((2, 3), np.float64), name='x')
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
        assert x.dtype == np.float64 and x.name == 'x'
        assert x.label == '(2, 3), float64'
        assert x.xp is np and x.device == tracegrad.get_device('@numpy')
        assert x.creator is None and x.creator_node is None and x.rank == 0
        assert x.requires_grad

    def test_scalar_label(self):
        assert Variable(np.array(1.0, np.float32)).label == 'float32'

    def test_rejects_non_arrays(self):
        with pytest.raises(TypeError, match='Variable: data must be a numpy.ndarray'):
            Variable([1, 2, 3])
        with pytest.raises(TypeError, match='got float'):
            Variable(1.0)

    def test_repr_and_str_match_chainer(self):
        x = Variable(np.array([[1, 2], [3, 4]], np.float32))
        assert repr(x) == 'variable([[1., 2.],\n          [3., 4.]])'
        assert str(x) == 'variable([[1. 2.]\n          [3. 4.]])'
        x.name = 'x'
        assert repr(x) == 'variable x([[1., 2.],\n            [3., 4.]])'
        assert repr(Variable()) == 'variable(None)'
        assert repr(Variable(np.zeros((0, 2), np.float32))) == 'variable([], shape=(0, 2))'

    def test_item(self):
        assert Variable(f32(2.5)).item() == 2.5


class TestGrad:
    def test_grad_roundtrip_and_checks(self):
        x = Variable(f32(1, 2))
        assert x.grad is None and x.grad_var is None
        x.grad = f32(3, 4)
        np.testing.assert_array_equal(x.grad, [3, 4])
        assert isinstance(x.grad_var, Variable)
        with pytest.raises(ValueError, match=r'gradient shape \(3,\) differs'):
            x.grad = np.zeros(3, np.float32)
        with pytest.raises(TypeError, match='gradient dtype float64 differs'):
            x.grad = np.zeros(2, np.float64)
        with pytest.raises(TypeError, match='expected a Variable'):
            x.grad_var = f32(1, 2)
        np.testing.assert_array_equal(x.grad, [3, 4])  # failed sets changed nothing

    def test_cleargrad_zerograd(self):
        x = Variable(f32(1, 2), grad=f32(5, 5))
        x.cleargrad()
        assert x.grad is None
        x.zerograd()
        np.testing.assert_array_equal(x.grad, [0, 0])

    def test_addgrad(self):
        x = Variable(f32(1, 2))
        y = Variable(f32(0, 0), grad=f32(1, 2))
        x.addgrad(y)
        x.addgrad(y)
        np.testing.assert_array_equal(x.grad, [2, 4])
        y.grad[...] = 7  # x's grad is not an alias of y's
        np.testing.assert_array_equal(x.grad, [2, 4])

    def test_copydata(self):
        x = Variable(f32(1, 2))
        x.copydata(Variable(f32(5, 6)))
        np.testing.assert_array_equal(x.array, [5, 6])


class TestBackward:
    def test_scalar_seed_is_one(self):
        x = Variable(f32(3))
        y = x * x
        y.backward()
        np.testing.assert_allclose(x.grad, [6])
        assert y.grad is None  # Chainer drops the seed unless retain_grad

    def test_zero_dim_seed(self):
        x = Variable(np.array(2.0, np.float32))
        (x * x * x).backward()
        assert x.grad.shape == () and x.grad == 12

    def test_non_scalar_needs_grad(self):
        y = Variable(f32(1, 2)) * 2
        with pytest.raises(ValueError, match=r'Variable.backward: this variable has shape \(2,\)'):
            y.backward()

    def test_accumulates_into_leaves(self):
        x = Variable(f32(1, 2))
        for _ in range(2):
            y = x * 3
            y.grad = f32(1, 1)
            y.backward()
        np.testing.assert_array_equal(x.grad, [6, 6])

    def test_same_input_twice_and_diamond(self):
        x = Variable(f32(2))
        a = x * x          # 2x
        b = a + x          # x^2 + x
        c = b * a          # (x^2 + x) x^2 = x^4 + x^3
        c.backward()
        np.testing.assert_allclose(x.grad, [4 * 8 + 3 * 4])

    def test_retain_grad(self):
        x = Variable(f32(1, 2))
        h = x * 2
        y = h * h
        y.grad = f32(1, 1)
        y.backward(retain_grad=True)
        np.testing.assert_array_equal(h.grad, [4, 8])
        np.testing.assert_array_equal(y.grad, [1, 1])

        x2 = Variable(f32(1, 2))
        h2 = x2 * 2
        y2 = h2 * h2
        y2.grad = f32(1, 1)
        y2.backward()
        assert h2.grad is None

    def test_loss_scale(self):
        x = Variable(f32(1, 2))
        z = x * 3
        z.grad = f32(1, 1)
        z.backward(loss_scale=10)
        np.testing.assert_array_equal(x.grad, [30, 30])
        assert x._loss_scale == 10

    def test_no_grad_for_constants(self):
        x = Variable(f32(1, 2), requires_grad=False)
        w = Variable(f32(3, 4))
        y = x * w
        y.grad = f32(1, 1)
        y.backward()
        assert x.grad is None
        np.testing.assert_array_equal(w.grad, [1, 2])

    def test_double_backprop(self):
        x = Variable(f32(2, 3))
        y = x * x * x
        y.grad = f32(1, 1)
        y.backward(enable_double_backprop=True)
        gx = x.grad_var
        np.testing.assert_allclose(gx.array, [12, 27])
        assert gx.creator is not None
        x.cleargrad()
        gx.grad = f32(1, 1)
        gx.backward()
        np.testing.assert_allclose(x.grad, [12, 18])

    def test_without_double_backprop_grads_have_no_graph(self):
        x = Variable(f32(2))
        (x * x).backward()
        assert x.grad_var.creator is None

    def test_rank_order(self):
        x = Variable(f32(1))
        a = x * 2
        b = a * 2
        assert (x.rank, a.rank, b.rank) == (0, 1, 2)
        assert b.creator.rank == 1

    def test_unchain(self):
        x = Variable(f32(1))
        h = x * 2
        y = h * 3
        h.unchain()
        assert h.creator is None
        y.grad = f32(1)
        y.backward()
        assert x.grad is None
        np.testing.assert_array_equal(h.grad, [3])

    def test_unchain_backward(self):
        x = Variable(f32(1))
        h = x * 2
        y = h * 3
        y.unchain_backward()
        assert y.creator is None and h.creator is None

    def test_unretained_input_arrays_are_released(self):
        x = Variable(np.ones(4, np.float32))
        h = x + 1                     # Add retains nothing
        ref = weakref.ref(h.array)
        y = -h                        # Neg retains nothing either
        del h
        gc.collect()
        assert ref() is None          # the graph does not keep h's array
        y.grad = np.ones(4, np.float32)
        y.backward()
        np.testing.assert_array_equal(x.grad, -np.ones(4))

    def test_retained_input_recreated_after_variable_is_gone(self):
        x = Variable(f32(1, 2))
        h = x * 3
        y = h * h           # Mul retains h's array
        del h
        gc.collect()
        y.grad = f32(1, 1)
        y.backward()
        np.testing.assert_allclose(x.grad, [18, 36])


class TestOperatorsAndProtocols:
    def test_comparison_and_bool_raise(self):
        x = Variable(f32(1))
        for op in (lambda: x < x, lambda: x <= x, lambda: x == x, lambda: x != x,
                   lambda: x > x, lambda: x >= x):
            with pytest.raises(TypeError, match='do not support'):
                op()
        with pytest.raises(TypeError, match='Python bool'):
            bool(x)
        with pytest.raises(TypeError):
            hash(x)

    def test_pos(self):
        x = Variable(f32(1))
        assert +x is x

    def test_pickle_and_deepcopy_keep_arrays_drop_graph(self):
        x = Variable(f32(1, 2), name='x')
        y = x * 2
        y.grad = f32(5, 6)
        for clone in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
            np.testing.assert_array_equal(clone.array, [2, 4])
            np.testing.assert_array_equal(clone.grad, [5, 6])
            assert clone.creator is None
        assert pickle.loads(pickle.dumps(x)).name == 'x'

    def test_to_device_cpu(self):
        x = Variable(f32(1, 2), grad=f32(3, 4))
        x.to_device('@numpy')
        assert x.xp is np
        x.to_cpu()
        np.testing.assert_array_equal(x.grad, [3, 4])


class TestParameter:
    def test_constant_initializer(self):
        p = Parameter(2.0, (2, 3))
        assert p.shape == (2, 3) and p.dtype == np.float32
        np.testing.assert_array_equal(p.array, np.full((2, 3), 2.0))

    def test_array_initializer_is_used_as_data(self):
        a = np.arange(3, dtype=np.float64)
        p = Parameter(a)
        assert p.array is a and p.is_initialized

    def test_lazy_initialize(self):
        p = Parameter(tracegrad.initializers.One())
        assert not p.is_initialized and p.array is None and p.dtype == np.float32
        p.initialize((2,))
        np.testing.assert_array_equal(p.array, [1, 1])
        assert p.grad is None

    def test_none_initializer_fills_nan(self):
        p = Parameter(None, (2,))
        assert np.isnan(p.array).all()

    def test_shape_mismatch_with_array(self):
        with pytest.raises(ValueError, match='Parameter'):
            Parameter(np.zeros(3, np.float32), (4,))

    def test_update_uses_rule(self):
        class Rule:
            def update(self, param):
                param.array -= param.grad

        p = Parameter(np.ones(2, np.float32))
        p.grad = np.ones(2, np.float32)
        p.update_rule = Rule()
        p.update()
        np.testing.assert_array_equal(p.array, [0, 0])

    def test_pickle_parameter(self):
        p = Parameter(np.ones(2, np.float32), name='W')
        q = pickle.loads(pickle.dumps(p))
        assert isinstance(q, Parameter) and q.name == 'W'
        np.testing.assert_array_equal(q.array, [1, 1])


def test_as_variable_and_as_array():
    a = f32(1)
    v = tracegrad.as_variable(a)
    assert isinstance(v, Variable) and not v.requires_grad and v.array is a
    assert tracegrad.as_variable(v) is v
    assert tracegrad.as_array(v) is a and tracegrad.as_array(a) is a
    with pytest.raises(TypeError, match='as_variable'):
        tracegrad.as_variable([1])
