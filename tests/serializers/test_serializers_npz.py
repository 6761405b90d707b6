"""NPZ serialization: DictionarySerializer, NpzDeserializer, save_npz and load_npz."""
import io
import os
import zipfile

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers, serializers
from tracegrad.serializers import DictionarySerializer, NpzDeserializer


class Net(tracegrad.Chain):
    def __init__(self, n_in=3, n_hidden=4, n_out=2):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(n_in, n_hidden)
            self.bn = L.BatchNormalization(n_hidden)
            self.l2 = L.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.l2(F.relu(self.bn(self.l1(x))))


def _state(link):
    """Every parameter and persistent value, copied."""
    out = {name: p.array.copy() for name, p in link.namedparams()}
    for name, sub in link.namedlinks():
        for key in sub._persistent:
            value = getattr(sub, key)
            out[f'{name}/{key}'] = value.copy() if isinstance(value, np.ndarray) else value
    return out


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _trained_net(seed=0, steps=2):
    np.random.seed(seed)
    net = Net()
    opt = optimizers.SGD(lr=0.1).setup(net)
    x = np.random.uniform(-1, 1, (5, 3)).astype(np.float32)
    for _ in range(steps):
        opt.update(lambda: F.sum(net(x) ** 2))
    net.bn.N = 2  # an int persistent value (counted only when fine-tuning)
    return net


# -- DictionarySerializer --

def test_dictionary_serializer_paths_and_values():
    s = DictionarySerializer()
    w = np.arange(3, dtype=np.float32)
    assert s('/w', w) is w
    child = s['a/']['b']
    assert child('n', 3) == 3
    assert child('none', None) is None
    assert child.path == 'a/b/'
    assert set(s.target) == {'w', 'a/b/n', 'a/b/none'}
    assert s.target['w'] is w
    assert s.target['a/b/none'].dtype == object and s.target['a/b/none'][()] is None


def test_dictionary_serializer_of_link_uses_namedparams_paths():
    net = Net()
    target = serializers.npz.serialize(net)
    params = {name.lstrip('/') for name, _ in net.namedparams()}
    assert params <= set(target)
    assert {'bn/avg_mean', 'bn/avg_var', 'bn/N'} <= set(target)


# -- save_npz / load_npz round trips --

@pytest.mark.parametrize('compression', [True, False])
def test_link_round_trip(tmp_path, compression):
    net = _trained_net()
    path = tmp_path / 'net.npz'
    serializers.save_npz(str(path), net, compression=compression)
    with zipfile.ZipFile(path) as z:
        kinds = {info.compress_type for info in z.infolist()}
    assert kinds == ({zipfile.ZIP_DEFLATED} if compression else {zipfile.ZIP_STORED})
    other = Net()
    serializers.load_npz(path, other)  # a path-like object works too
    _assert_same_state(_state(other), _state(net))
    assert other.bn.N == net.bn.N == 2 and isinstance(other.bn.N, int)


def test_file_objects(tmp_path):
    net = _trained_net()
    buf = io.BytesIO()
    serializers.save_npz(buf, net)
    buf.seek(0)
    other = Net()
    serializers.load_npz(buf, other)
    _assert_same_state(_state(other), _state(net))


def test_uninitialized_parameter_is_initialized_by_load(tmp_path):
    src = L.Linear(3, 2)
    path = str(tmp_path / 'l.npz')
    serializers.save_npz(path, src)
    dst = L.Linear(None, 2)
    assert dst.W.array is None
    serializers.load_npz(path, dst)
    np.testing.assert_array_equal(dst.W.array, src.W.array)


def test_uninitialized_parameter_saved_as_none(tmp_path):
    path = str(tmp_path / 'l.npz')
    serializers.save_npz(path, L.Linear(None, 2))
    dst = L.Linear(3, 2)
    before = dst.W.array.copy()
    serializers.load_npz(path, dst)  # a stored None leaves the target's array alone
    np.testing.assert_array_equal(dst.W.array, before)
    fresh = L.Linear(None, 2)
    serializers.load_npz(path, fresh)
    assert fresh.W.array is None


def test_save_dict(tmp_path):
    path = str(tmp_path / 'd.npz')
    serializers.save_npz(path, {'a': np.arange(3), 'b/c': np.float32(2)})
    with np.load(path) as f:
        assert sorted(f.files) == ['a', 'b/c']
        np.testing.assert_array_equal(f['a'], [0, 1, 2])


def test_path_strict_and_ignore_names(tmp_path):
    net = _trained_net()
    path = str(tmp_path / 'snapshot.npz')
    # A trainer-like snapshot: the model lives under a prefix, next to other entries.
    target = {f'updater/model:main/{k}': v for k, v in serializers.npz.serialize(net).items()}
    target['iteration'] = np.array(7)
    serializers.save_npz(path, target)

    other = Net()
    serializers.load_npz(path, other, path='updater/model:main/')
    _assert_same_state(_state(other), _state(net))

    with pytest.raises(KeyError, match="'bn/beta' is not in"):  # children load in name order
        serializers.load_npz(path, Net())

    fresh = Net()
    before = _state(fresh)
    serializers.load_npz(path, fresh, strict=False)  # nothing matches: nothing changes
    _assert_same_state(_state(fresh), before)

    partial = Net()
    kept = partial.l2.W.array.copy()
    serializers.load_npz(path, partial, path='updater/model:main/',
                         ignore_names=['updater/model:main/l2/W',
                                       lambda name: name.endswith('bn/N')])
    np.testing.assert_array_equal(partial.l2.W.array, kept)
    np.testing.assert_array_equal(partial.l1.W.array, net.l1.W.array)
    assert partial.bn.N == 0

    with pytest.raises(TypeError, match='ignore_names'):
        serializers.load_npz(path, Net(), ignore_names=[3])


# -- bad files: a clear error, and the model exactly as it was --

def test_shape_mismatch_names_parameter_and_shapes_and_changes_nothing(tmp_path):
    path = str(tmp_path / 'small.npz')
    serializers.save_npz(path, _trained_net())
    # l1 and bn match; l2 (loaded last) does not.
    np.random.seed(1)
    model = tracegrad.Chain()
    with model.init_scope():
        model.l1 = L.Linear(3, 4)
        model.bn = L.BatchNormalization(4)
        model.l2 = L.Linear(4, 5)
    before = _state(model)
    with pytest.raises(ValueError) as info:
        serializers.load_npz(path, model)
    message = str(info.value)
    assert "'l2/W'" in message and '(2, 4)' in message and '(5, 4)' in message
    assert 'small.npz' in message
    _assert_same_state(_state(model), before)


def test_missing_entry_changes_nothing(tmp_path):
    path = str(tmp_path / 'no_l2.npz')
    src = tracegrad.Chain()
    with src.init_scope():
        src.l1 = L.Linear(3, 4)
        src.bn = L.BatchNormalization(4)
    src.bn.avg_mean[...] = 5  # would be loaded before the missing l2 is noticed
    serializers.save_npz(path, src)
    model = Net()
    before = _state(model)
    with pytest.raises(KeyError, match="'l2/W' is not in"):
        serializers.load_npz(path, model)
    _assert_same_state(_state(model), before)


def test_incompatible_dtypes(tmp_path):
    path = str(tmp_path / 'x.npz')
    serializers.save_npz(path, {'W': np.zeros((2, 3), np.float32), 'b': np.zeros(2, np.float32),
                                'n': np.array(1.5)})
    lin = L.Linear(3, 2)
    lin.W.array = np.zeros((2, 3), np.int32)  # a float array cannot go into ints
    with pytest.raises(TypeError, match="'W'.*float32.*int32"):
        serializers.load_npz(path, lin)

    class Counter:
        n = 3

        def serialize(self, s):
            self.n = s('n', self.n)

    with pytest.raises(TypeError, match="'n'.*float64.*int"):
        serializers.load_npz(path, Counter())


def test_float64_file_loads_into_float32_model(tmp_path):
    path = str(tmp_path / 'f64.npz')
    serializers.save_npz(path, {'W': np.ones((2, 3)), 'b': np.full(2, 0.5)})
    lin = L.Linear(3, 2)
    serializers.load_npz(path, lin)
    assert lin.W.array.dtype == np.float32
    np.testing.assert_array_equal(lin.b.array, [0.5, 0.5])


def test_not_an_npz_file(tmp_path):
    path = str(tmp_path / 'a.npy')
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match='not an NPZ archive'):
        serializers.load_npz(path, L.Linear(3, 2))


def test_scalars_and_strings_round_trip():
    class Thing:
        def __init__(self):
            self.i, self.f, self.b, self.s = 0, 0.0, False, ''

        def serialize(self, s):
            self.i = s('i', self.i)
            self.f = s('f', self.f)
            self.b = s('b', self.b)
            self.s = s('s', self.s)

    src = Thing()
    src.i, src.f, src.b, src.s = 5, 2.5, True, 'hello'
    saved = serializers.npz.serialize(src)
    buf = io.BytesIO()
    serializers.save_npz(buf, saved)
    buf.seek(0)
    dst = Thing()
    serializers.load_npz(buf, dst)
    assert (dst.i, dst.f, dst.b, dst.s) == (5, 2.5, True, 'hello')
    assert (type(dst.i), type(dst.f), type(dst.b), type(dst.s)) == (int, float, bool, str)


def test_deserializer_on_a_dict_with_none_value():
    d = NpzDeserializer({'w': np.arange(2.0), 'nothing': np.asarray(None)})
    assert d('nothing', None) is None
    np.testing.assert_array_equal(d('w', None), [0.0, 1.0])
    target = np.zeros(2)
    assert d('w', target) is target
    np.testing.assert_array_equal(target, [0.0, 1.0])


# -- optimizers --

OPTIMIZERS = [optimizers.SGD, optimizers.MomentumSGD, optimizers.NesterovAG,
              optimizers.CorrectedMomentumSGD, optimizers.AdaGrad, optimizers.AdaDelta,
              optimizers.RMSprop, optimizers.RMSpropGraves, optimizers.Adam, optimizers.AMSGrad,
              optimizers.SMORMS3]


@pytest.mark.parametrize('cls', OPTIMIZERS, ids=[c.__name__ for c in OPTIMIZERS])
def test_optimizer_round_trip(tmp_path, cls):
    net = _trained_net()
    opt = cls().setup(net)
    x = np.ones((2, 3), np.float32)
    for _ in range(3):
        opt.update(lambda: F.sum(net(x) ** 2))
    opt.new_epoch()
    path = str(tmp_path / 'opt.npz')
    serializers.save_npz(path, opt)

    opt2 = cls().setup(Net())
    serializers.load_npz(path, opt2)
    assert (opt2.t, opt2.epoch) == (3, 1)
    params2 = dict(opt2.target.namedparams())
    for name, param in net.namedparams():
        rule, rule2 = param.update_rule, params2[name].update_rule
        assert rule2.t == rule.t == 3
        assert set(rule2.state) == set(rule.state)
        for key in rule.state:
            np.testing.assert_array_equal(rule2.state[key], rule.state[key])


def test_optimizer_state_shape_mismatch_changes_nothing(tmp_path):
    src = optimizers.Adam().setup(Net())
    x = np.ones((2, 3), np.float32)
    src.update(lambda: F.sum(src.target(x)))
    path = str(tmp_path / 'adam.npz')
    serializers.save_npz(path, src)

    dst = optimizers.Adam().setup(Net(n_out=3))
    dst.update(lambda: F.sum(dst.target(x)))
    dst.update(lambda: F.sum(dst.target(x)))
    before = {name: {k: v.copy() for k, v in p.update_rule.state.items()}
              for name, p in dst.target.namedparams()}
    with pytest.raises(ValueError, match=r"'l2/W/m'.*\(2, 4\).*\(3, 4\)"):
        serializers.load_npz(path, dst)
    assert dst.t == 2
    for name, p in dst.target.namedparams():
        assert p.update_rule.t == 2
        for k, v in p.update_rule.state.items():
            np.testing.assert_array_equal(v, before[name][k])


def test_save_load_continue_training_matches_uninterrupted(tmp_path):
    x = np.random.RandomState(0).uniform(-1, 1, (8, 3)).astype(np.float32)
    t = np.random.RandomState(1).uniform(-1, 1, (8, 2)).astype(np.float32)

    def make():
        np.random.seed(42)
        model = Net()
        return model, optimizers.Adam(alpha=0.01).setup(model)

    def step(model, opt):
        opt.update(lambda: F.mean_squared_error(model(x), t))

    model, opt = make()
    for _ in range(10):
        step(model, opt)
    uninterrupted = _state(model)

    model, opt = make()
    for _ in range(5):
        step(model, opt)
    serializers.save_npz(str(tmp_path / 'model.npz'), model)
    serializers.save_npz(str(tmp_path / 'opt.npz'), opt)

    np.random.seed(7)  # a different process would start from different weights
    resumed = Net()
    resumed_opt = optimizers.Adam(alpha=0.01).setup(resumed)
    serializers.load_npz(str(tmp_path / 'model.npz'), resumed)
    serializers.load_npz(str(tmp_path / 'opt.npz'), resumed_opt)
    for _ in range(5):
        step(resumed, resumed_opt)
    assert resumed_opt.t == 10
    _assert_same_state(_state(resumed), uninterrupted)


# -- atomic writing --

def _write_old(path):
    serializers.save_npz(path, {'old': np.arange(4)})
    with open(path, 'rb') as f:
        return f.read()


def _assert_old_file_intact(path, content):
    with open(path, 'rb') as f:
        assert f.read() == content
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]  # no temp file left


def test_writer_failing_midway_leaves_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / 'model.npz')
    old = _write_old(path)

    def broken_savez(file, **arrays):
        file.write(b'PK\x03\x04 half an archive')
        raise OSError('disk full')

    monkeypatch.setattr(np, 'savez_compressed', broken_savez)
    with pytest.raises(OSError, match='disk full'):
        serializers.save_npz(path, _trained_net())
    _assert_old_file_intact(path, old)


def test_serialize_failing_leaves_old_file(tmp_path):
    path = str(tmp_path / 'model.npz')
    old = _write_old(path)

    class Broken:
        def serialize(self, s):
            s('a', np.zeros(3))
            raise RuntimeError('boom')

    with pytest.raises(RuntimeError, match='boom'):
        serializers.save_npz(path, Broken())
    _assert_old_file_intact(path, old)


def test_fsync_failing_leaves_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / 'model.npz')
    old = _write_old(path)

    def failing_fsync(fd):
        raise OSError('I/O error')

    monkeypatch.setattr(os, 'fsync', failing_fsync)
    with pytest.raises(OSError, match='I/O error'):
        serializers.save_npz(path, _trained_net())
    monkeypatch.undo()
    _assert_old_file_intact(path, old)


def test_new_file_gets_umask_permissions(tmp_path):
    path = str(tmp_path / 'model.npz')
    old_mask = os.umask(0o022)
    try:
        serializers.save_npz(path, {'a': np.zeros(1)})
    finally:
        os.umask(old_mask)
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_object_whose_loading_depends_on_loaded_values(tmp_path):
    """The checking pass returns values unchanged; an object that parses a loaded string
    (like DictSummary) fails there for its own reasons and is then loaded directly."""
    import json

    class Names:
        def __init__(self, names=()):
            self.names = list(names)

        def serialize(self, s):
            if isinstance(s, tracegrad.Serializer):
                s('names', json.dumps(self.names))
            else:
                self.names = json.loads(s('names', ''))

    path = str(tmp_path / 'names.npz')
    serializers.save_npz(path, Names(['loss', 'accuracy']))
    loaded = Names()
    serializers.load_npz(path, loaded)
    assert loaded.names == ['loss', 'accuracy']


def test_dict_summary_round_trip(tmp_path):
    from tracegrad.reporter import DictSummary

    summary = DictSummary()
    summary.add({'loss': 1.0})
    summary.add({'loss': 3.0, 'accuracy': 0.5})
    path = str(tmp_path / 'summary.npz')
    serializers.save_npz(path, summary)
    loaded = DictSummary()
    serializers.load_npz(path, loaded)
    assert {k: float(v) for k, v in loaded.compute_mean().items()} == {'loss': 2.0,
                                                                      'accuracy': 0.5}
