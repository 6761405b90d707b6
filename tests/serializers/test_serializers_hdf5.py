"""HDF5 serialization (h5py is optional: its absence gives a clear ImportError)."""
import os
import sys

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers, serializers


def test_missing_h5py_is_explained(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'h5py', None)  # makes `import h5py` fail
    for call in (lambda: serializers.save_hdf5(str(tmp_path / 'a.h5'), L.Linear(2, 2)),
                 lambda: serializers.load_hdf5(str(tmp_path / 'a.h5'), L.Linear(2, 2)),
                 lambda: serializers.HDF5Serializer(None)):
        with pytest.raises(ImportError, match=r'pip install tracegrad\[hdf5\]'):
            call()
    assert not (tmp_path / 'a.h5').exists()


class Net(tracegrad.Chain):
    def __init__(self, n_out=2):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(3, 4)
            self.bn = L.BatchNormalization(4)
            self.l2 = L.Linear(4, n_out)

    def forward(self, x):
        return self.l2(F.relu(self.bn(self.l1(x))))


def _arrays(link):
    out = {name: p.array.copy() for name, p in link.namedparams()}
    out['bn/avg_mean'] = link.bn.avg_mean.copy()
    return out


def _trained(cls=optimizers.Adam):
    np.random.seed(0)
    net = Net()
    opt = cls().setup(net)
    x = np.random.uniform(-1, 1, (5, 3)).astype(np.float32)
    for _ in range(2):
        opt.update(lambda: F.sum(net(x) ** 2))
    net.bn.N = 3
    return net, opt


def test_link_and_optimizer_round_trip(tmp_path):
    h5py = pytest.importorskip('h5py', reason='h5py is not installed (pip install tracegrad[hdf5])')
    net, opt = _trained()
    serializers.save_hdf5(str(tmp_path / 'net.h5'), net)
    serializers.save_hdf5(str(tmp_path / 'opt.h5'), opt, compression=0)
    with h5py.File(str(tmp_path / 'net.h5'), 'r') as f:
        assert f['l1/W'].shape == (4, 3) and f['l1/W'].compression == 'gzip'

    net2 = Net()
    opt2 = optimizers.Adam().setup(net2)
    serializers.load_hdf5(str(tmp_path / 'net.h5'), net2)
    serializers.load_hdf5(str(tmp_path / 'opt.h5'), opt2)
    for key, value in _arrays(net).items():
        np.testing.assert_array_equal(_arrays(net2)[key], value, err_msg=key)
    assert net2.bn.N == 3 and isinstance(net2.bn.N, int)
    assert opt2.t == 2 and net2.l1.W.update_rule.t == 2
    np.testing.assert_array_equal(net2.l1.W.update_rule.state['v'],
                                  net.l1.W.update_rule.state['v'])


def test_uninitialized_parameter(tmp_path):
    pytest.importorskip('h5py', reason='h5py is not installed (pip install tracegrad[hdf5])')
    path = str(tmp_path / 'lazy.h5')
    serializers.save_hdf5(path, L.Linear(None, 2))
    fresh = L.Linear(None, 2)
    serializers.load_hdf5(path, fresh)
    assert fresh.W.array is None
    src = L.Linear(3, 2)
    serializers.save_hdf5(path, src)
    serializers.load_hdf5(path, fresh)
    np.testing.assert_array_equal(fresh.W.array, src.W.array)


def test_mismatch_changes_nothing(tmp_path):
    pytest.importorskip('h5py', reason='h5py is not installed (pip install tracegrad[hdf5])')
    path = str(tmp_path / 'net.h5')
    serializers.save_hdf5(path, _trained()[0])
    other = Net(n_out=5)
    before = _arrays(other)
    with pytest.raises(ValueError, match=r"'l2/W'.*\(2, 4\).*\(5, 4\)"):
        serializers.load_hdf5(path, other)
    for key, value in before.items():
        np.testing.assert_array_equal(_arrays(other)[key], value, err_msg=key)


def test_strict_and_missing_group(tmp_path):
    h5py = pytest.importorskip('h5py', reason='h5py is not installed (pip install tracegrad[hdf5])')
    path = str(tmp_path / 'partial.h5')
    serializers.save_hdf5(path, {'l1/W': np.ones((4, 3), np.float32)})
    net = Net()
    with pytest.raises(KeyError, match="'bn/beta' is not in"):
        serializers.load_hdf5(path, net)
    with h5py.File(path, 'r') as f:
        serializers.HDF5Deserializer(f, strict=False).load(net)
    np.testing.assert_array_equal(net.l1.W.array, np.ones((4, 3)))


def test_writer_failing_midway_leaves_old_file(tmp_path):
    pytest.importorskip('h5py', reason='h5py is not installed (pip install tracegrad[hdf5])')
    path = str(tmp_path / 'net.h5')
    serializers.save_hdf5(path, {'old': np.arange(3)})
    with open(path, 'rb') as f:
        old = f.read()

    class Broken:
        def serialize(self, s):
            s('a', np.zeros(1000))
            raise RuntimeError('crash while writing')

    with pytest.raises(RuntimeError, match='crash'):
        serializers.save_hdf5(path, Broken())
    with open(path, 'rb') as f:
        assert f.read() == old
    assert os.listdir(tmp_path) == ['net.h5']
