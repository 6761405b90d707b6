import copy
import functools
import pickle

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import Sequential


def _paths(link):
    return [p for p, _ in link.namedparams()]


def test_forward_calls_layers_in_order():
    np.random.seed(0)
    l1, l2 = L.Linear(3, 4), L.Linear(4, 2)
    model = Sequential(l1, F.relu, l2)
    x = np.random.randn(5, 3).astype(np.float32)
    expected = l2(F.relu(l1(x))).array
    np.testing.assert_array_equal(model(x).array, expected)
    assert _paths(model) == ['/0/W', '/0/b', '/1/W', '/1/b']
    assert [l.name for l in model.children()] == ['0', '1']


def test_any_callable_and_tuple_outputs():
    model = Sequential(lambda x: (x, x + 1), lambda a, b: a * b)
    assert model(np.float32(2)) == 6
    model2 = Sequential(functools.partial(np.add, 1))
    assert model2(1) == 2
    with pytest.raises(RuntimeError, match='any layer'):
        Sequential()(1)
    with pytest.raises(ValueError, match='callable'):
        Sequential(3)


def test_list_operations_keep_children_in_sync():
    a, b, c = L.Linear(2, 2), L.Linear(2, 2), L.Linear(2, 2)
    s = Sequential(a, F.relu)
    s.append(b)
    assert len(s) == 3 and s[2] is b and list(s) == [a, F.relu, b]
    s.insert(1, c)
    assert list(s) == [a, c, F.relu, b]
    assert [x.name for x in (a, c, b)] == ['0', '1', '2']
    assert list(s.children()) == [a, c, b]
    assert s.index(F.relu) == 2
    assert F.relu in s and L.Linear(1, 1) not in s
    assert s.pop(1) is c
    assert list(s.children()) == [a, b] and b.name == '1'
    s.remove(F.relu)
    assert list(s) == [a, b]
    s[0] = F.sigmoid
    assert list(s.children()) == [b] and b.name == '0'
    assert _paths(s) == ['/0/W', '/0/b']
    del s[0]
    assert list(s) == [b]
    s.extend([F.relu, a])
    assert list(s) == [b, F.relu, a] and a.name == '1'
    assert s.count(F.relu) == 1
    assert list(reversed(s)) == [a, F.relu, b]
    assert s[0:2] == [b, F.relu]
    s.insert(-1, c)
    assert list(s) == [b, F.relu, c, a]
    with pytest.raises(IndexError):
        s.insert(10, F.relu)
    with pytest.raises(ValueError):
        s.remove(F.tanh)
    s.clear()
    assert len(s) == 0 and list(s.children()) == []


def test_add_and_iadd():
    a = Sequential(L.Linear(2, 2), F.relu)
    b = Sequential(L.Linear(2, 2), F.sigmoid)
    c = a + b
    assert len(c) == 4 and c[2] is b[0]
    assert _paths(c) == ['/0/W', '/0/b', '/1/W', '/1/b']
    a += b
    assert len(a) == 4
    with pytest.raises(ValueError, match='Sequential'):
        a + [F.relu]


def test_layer_type_helpers():
    s = Sequential(L.Linear(2, 2), F.relu, L.Linear(2, 2), F.relu)
    assert s.count_by_layer_type('Linear') == 2
    assert s.count_by_layer_type('relu') == 2
    s.remove_by_layer_type('relu')
    assert len(s) == 2 and s.count_by_layer_type('relu') == 0


def test_flatten():
    inner = Sequential(L.Linear(None, 3), F.relu)
    outer = Sequential(L.Linear(None, 3), F.relu, inner)
    flat = outer.flatten()
    assert len(outer) == 3 and len(flat) == 4
    assert flat[2] is inner[0]
    assert _paths(outer) == ['/0/W', '/0/b', '/1/0/W', '/1/0/b']
    assert _paths(flat) == ['/0/W', '/0/b', '/1/W', '/1/b']


def test_copy_modes_and_copyparams():
    np.random.seed(0)
    s = Sequential(L.Linear(2, 3), F.relu)
    shared = s.copy()
    assert shared[0] is not s[0] and shared[0].W.array is s[0].W.array
    assert shared[1] is F.relu
    copied = s.copy('copy')
    assert copied[0].W.array is not s[0].W.array
    np.testing.assert_array_equal(copied[0].W.array, s[0].W.array)
    init = s.copy('init')
    assert not np.array_equal(init[0].W.array, s[0].W.array)
    init.copyparams(s)
    np.testing.assert_array_equal(init[0].W.array, s[0].W.array)
    with pytest.raises(ValueError, match='Sequential'):
        init.copyparams(L.Linear(2, 3))


def test_deepcopy_and_pickle():
    s = Sequential(L.Linear(2, 3), F.relu, functools.partial(F.leaky_relu, slope=0.1)
                   if hasattr(F, 'leaky_relu') else F.tanh)
    x = np.ones((1, 2), np.float32)
    for clone in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        np.testing.assert_array_equal(clone(x).array, s(x).array)
        assert clone[0] is not s[0]
        assert _paths(clone) == ['/0/W', '/0/b']
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(Sequential(lambda x: x))


def test_str_lists_layers():
    s = Sequential(L.Linear(10, 10), F.relu)
    text = str(s)
    assert text.startswith('Sequential(\n  (0): Linear(in_size=10, out_size=10, nobias=False),\n')
    assert '(1): <function relu at 0x' in text
    assert str(Sequential()) == 'Sequential()'


def test_is_a_link():
    s = Sequential(L.Linear(2, 2))
    assert isinstance(s, tracegrad.ChainList) and isinstance(s, tracegrad.Link)
    assert s.count_params() == 6
