import copy
import pickle
import warnings

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import Chain, ChainList, Link, Parameter, initializers


class Simple(Link):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.W = Parameter(initializers.Normal(), (2, 3))
            self.b = Parameter(0, (2,))
            self.u = Parameter()
        self.add_persistent('count', 0)
        self.add_persistent('stat', np.zeros(2, np.float32))
        self.not_a_param = Parameter(1, (1,))  # outside init_scope: not registered

    def forward(self, x):
        return F.linear(x, self.W, self.b)


class Net(Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(3, 4)
            self.l2 = L.Linear(4, 2)
            self.p = Parameter(1, (1,))

    def forward(self, x):
        return self.l2(F.relu(self.l1(x))) * self.p


def _paths(link, **kw):
    return [path for path, _ in link.namedparams(**kw)]


# -- registration --

def test_parameters_register_in_init_scope_only():
    link = Simple()
    assert _paths(link) == ['/W', '/b', '/u']
    assert _paths(link, include_uninit=False) == ['/W', '/b']
    assert link.W.name == 'W'
    assert link._persistent == {'count', 'stat'}
    assert not link.within_init_scope


def test_link_kwargs_make_nan_parameters():
    link = Link(x=(2, 3), y=None, z=((2,), np.float64))
    assert link.x.shape == (2, 3) and np.isnan(link.x.array).all()
    assert link.x.dtype == np.float32
    assert link.y.array is None
    assert link.z.dtype == np.float64


def test_add_param_and_persistent():
    link = Link()
    link.add_param('W', (2, 2), initializer=initializers.One())
    np.testing.assert_array_equal(link.W.array, np.ones((2, 2)))
    link.add_param('V', 3, dtype=np.float64)
    assert link.V.dtype == np.float64 and np.isnan(link.V.array).all()
    with pytest.raises(AttributeError, match='attribute exists'):
        link.add_param('W', (1,))
    link.add_persistent('n', 3)
    with pytest.raises(AttributeError, match='attribute exists'):
        link.add_persistent('n', 4)
    link.other = 5
    link.register_persistent('other')
    assert link._persistent == {'n', 'other'}
    with pytest.raises(AttributeError, match='non-existent'):
        link.register_persistent('missing')
    # registering a parameter name as persistent moves it out of the parameters
    link.register_persistent('V')
    assert _paths(link) == ['/W']


def test_delattr_unregisters():
    link = Simple()
    del link.b
    assert _paths(link) == ['/W', '/u']
    del link.count
    assert link._persistent == {'stat'}


def test_init_scope_needs_link_init():
    class Broken(Link):
        def __init__(self):
            with self.init_scope():
                self.W = Parameter(0, (1,))

    with pytest.raises(RuntimeError, match='__init__'):
        Broken()


def test_chain_registration_and_paths():
    net = Net()
    assert _paths(net) == ['/p', '/l1/W', '/l1/b', '/l2/W', '/l2/b']
    assert net.l1.name == 'l1'
    assert net['l2'] is net.l2
    assert [p for p, _ in net.namedlinks()] == ['/', '/l1', '/l2']
    assert [p for p, _ in net.namedlinks(skipself=True)] == ['/l1', '/l2']
    assert list(net.links()) == [net, net.l1, net.l2]
    assert list(net.links(skipself=True)) == [net.l1, net.l2]
    assert list(net.children()) == [net.l1, net.l2]
    assert len(list(net.params())) == 5
    assert net.count_params() == 1 + 12 + 4 + 8 + 2


def test_chain_kwargs_add_link_and_errors():
    inner = Chain(a=L.Linear(2, 2))
    outer = Chain(inner=inner)
    outer.add_link('b', L.Linear(2, 3))
    assert _paths(outer) == ['/b/W', '/b/b', '/inner/a/W', '/inner/a/b']
    with pytest.raises(AttributeError, match='attribute exists'):
        outer.add_link('b', L.Linear(1, 1))
    with pytest.raises(TypeError, match='non-link'):
        outer.add_link('c', 3)
    with pytest.raises(AttributeError, match='attribute exists'), outer.init_scope():
        outer.b = L.Linear(1, 1)
    del outer.b
    assert [p for p, _ in outer.namedlinks(skipself=True)] == ['/inner', '/inner/a']
    # a link assigned outside init_scope is not a child
    outer.extra = L.Linear(1, 1)
    assert 'extra' not in outer._children


def test_count_params_warns_on_uninitialized():
    link = L.Linear(None, 3)
    with pytest.warns(UserWarning, match="'/W' has not been initialized"):
        assert link.count_params() == 3


def test_call_runs_forward_and_base_forward_raises():
    net = Net()
    assert net(np.ones((2, 3), np.float32)).shape == (2, 2)
    with pytest.raises(NotImplementedError, match='forward'):
        Link()(1)


# -- gradients and update switches --

def _backward(net):
    y = net(np.ones((2, 3), np.float32))
    F.sum(y).backward()


def test_cleargrads_zerograds_addgrads():
    net = Net()
    _backward(net)
    assert all(p.grad is not None for p in net.params())
    other = net.copy('copy')
    net.cleargrads()
    assert all(p.grad is None for p in net.params())
    with pytest.warns(DeprecationWarning):
        net.zerograds()
    assert all((p.grad == 0).all() for p in net.params())
    net.addgrads(other)
    for (_, a), (_, b) in zip(net.namedparams(), other.namedparams()):
        np.testing.assert_array_equal(a.grad, b.grad)
    net.addgrads(other)
    for (_, a), (_, b) in zip(net.namedparams(), other.namedparams()):
        np.testing.assert_array_equal(a.grad, 2 * b.grad)


class _Rule:
    enabled = True


def test_enable_disable_update():
    net = Net()
    assert not net.update_enabled  # no update rules yet
    for p in net.params():
        p.update_rule = _Rule()
    assert net.update_enabled
    net.l1.disable_update()
    assert not net.l1.W.update_rule.enabled
    assert net.update_enabled
    net.disable_update()
    assert not net.update_enabled
    net.enable_update()
    assert all(p.update_rule.enabled for p in net.params())


# -- lazy initialization --

def test_lazy_linear_initializes_on_first_batch():
    np.random.seed(3)
    link = L.Linear(None, 4)
    assert _paths(link, include_uninit=False) == ['/b']
    link(np.ones((2, 3, 2), np.float32))
    assert link.W.shape == (4, 6)
    np.random.seed(3)
    np.testing.assert_array_equal(link.W.array, L.Linear(6, 4).W.array)


# -- copying --

def test_copy_share():
    net = Net()
    _backward(net)
    c = net.copy()
    assert c is not net and c.l1 is not net.l1 and c.l1.W is not net.l1.W
    assert c.l1.W.array is net.l1.W.array
    assert c.l1.W.grad is None and net.l1.W.grad is not None
    assert c.name is None and c.l1.name == 'l1'
    assert _paths(c) == _paths(net)
    net.l1.W.array[...] = 7
    assert (c.l1.W.array == 7).all()
    # registering in the copy does not change the original
    with c.init_scope():
        c.extra = L.Linear(1, 1)
    assert 'extra' not in net._children


def test_copy_copy_and_init():
    np.random.seed(0)
    net = Net()
    c = net.copy('copy')
    assert c.l1.W.array is not net.l1.W.array
    np.testing.assert_array_equal(c.l1.W.array, net.l1.W.array)
    c.l1.W.array[...] = 0
    assert not (net.l1.W.array == 0).all()
    i = net.copy('init')
    assert i.l1.W.shape == net.l1.W.shape
    assert not np.array_equal(i.l1.W.array, net.l1.W.array)
    np.testing.assert_array_equal(i.l1.b.array, np.zeros(4))  # re-initialized to 0
    with pytest.raises(ValueError, match="'mode'"):
        net.copy('deep')


def test_chainlist_copy_modes():
    cl = ChainList(L.Linear(2, 2), L.Linear(2, 3))
    s = cl.copy()
    assert s[0] is not cl[0] and s[0].W.array is cl[0].W.array
    assert [c.name for c in s] == ['0', '1']
    d = cl.copy('copy')
    assert d[1].W.array is not cl[1].W.array


def test_copyparams_copies_values_and_persistents():
    a, b = Simple(), Simple()
    a.stat[...] = 3
    a.count = 5
    b.copyparams(a)
    np.testing.assert_array_equal(b.W.array, a.W.array)
    assert b.W.array is not a.W.array
    np.testing.assert_array_equal(b.stat, [3, 3])
    assert b.count == 5
    c = Simple()
    c.copyparams(a, copy_persistent=False)
    assert c.count == 0
    n1, n2 = Net(), Net()
    n2.copyparams(n1)
    np.testing.assert_array_equal(n2.l2.W.array, n1.l2.W.array)


def test_deepcopy_and_pickle_roundtrip():
    net = Net()
    _backward(net)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert _paths(clone) == _paths(net)
        for (_, p), (_, q) in zip(clone.namedparams(), net.namedparams()):
            np.testing.assert_array_equal(p.array, q.array)
            np.testing.assert_array_equal(p.grad, q.grad)
            assert p.array is not q.array
            assert isinstance(p, Parameter)
        x = np.ones((1, 3), np.float32)
        np.testing.assert_array_equal(clone(x).array, net(x).array)
        # registration still works in the clone
        with clone.init_scope():
            clone.l3 = L.Linear(2, 2)
        assert '/l3/W' in _paths(clone)


def test_repeat():
    np.random.seed(0)
    block = L.Linear(3, 3)
    seq = block.repeat(3)
    assert isinstance(seq, tracegrad.Sequential) and len(seq) == 3
    assert not np.array_equal(seq[0].W.array, seq[1].W.array)
    shared = block.repeat(2, mode='share')
    assert shared[0].W.array is block.W.array
    copied = block.repeat(2, mode='copy')
    np.testing.assert_array_equal(copied[0].W.array, block.W.array)
    assert copied[0].W.array is not block.W.array
    assert len(block.repeat(0)) == 0
    with pytest.raises(ValueError, match="'mode'"):
        block.repeat(2, mode='bad')
    assert seq(np.ones((1, 3), np.float32)).shape == (1, 3)


# -- devices --

def test_to_device_on_cpu():
    net = Net()
    bn = L.BatchNormalization(3)
    outer = Chain(net=net, bn=bn)
    assert outer.device == tracegrad.get_device('@numpy')
    assert outer.xp is np
    assert outer.to_device('@numpy') is outer
    assert outer.to_cpu() is outer
    assert outer.bn.device.xp is np
    assert isinstance(outer.bn.avg_mean, np.ndarray)
    lazy = L.Linear(None, 2).to_device(-1)
    lazy(np.ones((1, 3), np.float32))
    assert isinstance(lazy.W.array, np.ndarray)


def test_to_gpu_without_gpu_raises_clearly():
    from tracegrad.backends import cuda

    if cuda.available:
        pytest.skip('a GPU is present')
    with pytest.raises(RuntimeError, match='GPU'):
        Net().to_gpu()


# -- serialization --

class DictSerializer:
    """A minimal serializer: stores into a flat dict under slash paths."""

    def __init__(self, target, path=''):
        self.target, self.path = target, path

    def __getitem__(self, key):
        return DictSerializer(self.target, self.path + key + '/')

    def __call__(self, key, value):
        self.target[self.path + key] = value.copy() if hasattr(value, 'copy') else value
        return value


class DictDeserializer(DictSerializer):
    def __getitem__(self, key):
        return DictDeserializer(self.target, self.path + key + '/')

    def __call__(self, key, value):
        stored = self.target[self.path + key]
        if value is None:
            return stored
        if isinstance(value, np.ndarray):
            np.copyto(value, stored)
            return value
        return type(value)(stored)


def test_serialize_roundtrip_with_persistents_and_lazy_params():
    src = Chain(net=Net(), bn=L.BatchNormalization(3), lazy=L.Linear(None, 2))
    src.lazy(np.ones((1, 5), np.float32))
    src.bn.avg_mean[...] = 4
    src.bn.N = 7
    store = {}
    src.serialize(DictSerializer(store))
    assert {'net/l1/W', 'net/p', 'bn/avg_mean', 'bn/N', 'bn/gamma', 'lazy/W'} <= set(store)

    dst = Chain(net=Net(), bn=L.BatchNormalization(3), lazy=L.Linear(None, 2))
    dst.serialize(DictDeserializer(store))
    np.testing.assert_array_equal(dst.net.l1.W.array, src.net.l1.W.array)
    np.testing.assert_array_equal(dst.bn.avg_mean, [4, 4, 4])
    assert dst.bn.N == 7
    assert dst.lazy.W.shape == (2, 5)
    np.testing.assert_array_equal(dst.lazy.W.array, src.lazy.W.array)


def test_chainlist_serialize_uses_indices():
    store = {}
    ChainList(L.Linear(2, 2), L.Linear(2, 1)).serialize(DictSerializer(store))
    assert sorted(store) == ['0/W', '0/b', '1/W', '1/b']


# -- ChainList --

def test_chainlist_is_a_mutable_sequence():
    a, b, c = L.Linear(2, 2), L.Linear(2, 3), L.Linear(3, 1)
    cl = ChainList(a, b)
    assert len(cl) == 2 and cl[0] is a and list(cl) == [a, b]
    cl.append(c)
    assert [x.name for x in cl] == ['0', '1', '2']
    assert _paths(cl)[:2] == ['/0/W', '/0/b'] and _paths(cl)[-1] == '/2/b'
    d = L.Linear(2, 2)
    cl.insert(0, d)
    assert cl[0] is d and [x.name for x in cl] == ['0', '1', '2', '3']
    del cl[0]
    assert cl[0] is a and a.name == '0'
    assert cl.pop() is c
    assert len(cl) == 2
    cl[1] = c
    assert cl[1] is c and c.name == '1'
    cl[0:1] = [b, b]
    assert len(cl) == 3
    assert cl.index(c) == 2
    cl.remove(c)
    assert c not in cl
    with pytest.raises(TypeError, match='Link'):
        cl.append(F.relu)
    with pytest.raises(TypeError, match='indices'):
        cl['a'] = a
    with pytest.raises(TypeError, match='init_scope'), cl.init_scope():
        cl.x = L.Linear(1, 1)
    with cl.init_scope():
        cl.w = Parameter(0, (2,))
    assert _paths(cl)[0] == '/w'


def test_str():
    assert str(L.Linear(3, 2)) == 'Linear(in_size=3, out_size=2, nobias=False)'
    net = Chain(a=L.Linear(1, 2))
    assert str(net) == 'Chain(\n  (a): Linear(in_size=1, out_size=2, nobias=False),\n)'
    assert str(ChainList()) == 'ChainList()'
    assert str(ChainList(L.Linear(1, 1, nobias=True))) == \
        'ChainList(\n  (0): Linear(in_size=1, out_size=1, nobias=True),\n)'


def test_call_path_has_no_overhead_beyond_forward():
    # Link.__call__ is exactly a forward call: subclasses overriding forward
    # receive args and kwargs unchanged.
    class Echo(Link):
        def forward(self, *args, **kwargs):
            return args, kwargs

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert Echo()(1, 2, k=3) == ((1, 2), {'k': 3})


def test_save_and_load_npz_roundtrip(tmp_path):
    serializers = pytest.importorskip('tracegrad.serializers')
    np.random.seed(0)
    src = Chain(net=Net(), bn=L.BatchNormalization(3), lazy=L.Linear(None, 2))
    src.lazy(np.ones((1, 5), np.float32))
    src.bn(np.random.randn(4, 3).astype(np.float32))
    path = tmp_path / 'model.npz'
    serializers.save_npz(str(path), src)
    dst = Chain(net=Net(), bn=L.BatchNormalization(3), lazy=L.Linear(None, 2))
    serializers.load_npz(str(path), dst)
    for (p, a), (q, b) in zip(src.namedparams(), dst.namedparams()):
        assert p == q
        np.testing.assert_array_equal(a.array, b.array)
    np.testing.assert_array_equal(dst.bn.avg_var, src.bn.avg_var)
    assert dst.lazy.W.shape == (2, 5)
