"""get_mnist on small IDX files written by the test (never the network)."""
import os

import numpy as np
import pytest

from tracegrad import dataset, datasets
from tracegrad.datasets import mnist
from tracegrad.datasets.idx import write_idx

NAMES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def make_files(folder, n_train=5, n_test=3, gz=True):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.RandomState(0)
    arrays = {}
    for prefix, n in (('train', n_train), ('t10k', n_test)):
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255
        labels = rng.randint(0, 10, size=n).astype(np.uint8)
        ext = '.gz' if gz else ''
        write_idx(os.path.join(folder, f'{prefix}-images-idx3-ubyte{ext}'), images)
        write_idx(os.path.join(folder, f'{prefix}-labels-idx1-ubyte{ext}'), labels)
        arrays[prefix] = images, labels
    return arrays


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv('TRACEGRAD_DATASET_ROOT', str(tmp_path))
    monkeypatch.setattr(mnist, '_MIRRORS', [])  # never the network
    return tmp_path


@pytest.mark.parametrize('gz', [True, False])
def test_reads_files_in_chainer_format(root, gz):
    arrays = make_files(root / 'mnist', gz=gz)
    train, test = datasets.get_mnist()
    assert isinstance(train, datasets.TupleDataset)
    assert len(train) == 5 and len(test) == 3
    x, t = train[0]
    assert x.shape == (784,) and x.dtype == np.float32
    assert t.dtype == np.int32
    assert x[0] == 0 and x[1] == 1
    images, labels = arrays['t10k']
    np.testing.assert_allclose(test[2][0], images[2].ravel() / 255., rtol=1e-6)
    assert test[1][1] == labels[1]


def test_options(root):
    arrays = make_files(root / 'mnist')
    train, _ = datasets.get_mnist(withlabel=False, ndim=2, scale=255., dtype=np.float64)
    assert isinstance(train, np.ndarray) and train.shape == (5, 28, 28)
    assert train.dtype == np.float64
    np.testing.assert_allclose(train, arrays['train'][0])
    train, _ = datasets.get_mnist(ndim=3, label_dtype=np.int64)
    assert train[0][0].shape == (1, 28, 28) and train[0][1].dtype == np.int64
    train, _ = datasets.get_mnist(ndim=3, rgb_format=True, withlabel=False)
    assert train.shape == (5, 3, 28, 28)
    np.testing.assert_array_equal(train[:, 0], train[:, 2])
    with pytest.raises(ValueError, match='invalid ndim 4'):
        datasets.get_mnist(ndim=4)


def test_dtype_defaults_to_config(root):
    import tracegrad

    make_files(root / 'mnist')
    with tracegrad.using_config('dtype', np.float16):
        train, _ = datasets.get_mnist()
    assert train[0][0].dtype == np.float16


def test_missing_files_say_where_to_put_them(root):
    make_files(root / 'mnist')
    os.remove(root / 'mnist' / 't10k-labels-idx1-ubyte.gz')
    with pytest.raises(RuntimeError) as info:
        datasets.get_mnist()
    message = str(info.value)
    assert str(root / 'mnist') in message
    assert 't10k-labels-idx1-ubyte' in message
    assert 'train-images-idx3-ubyte,' not in message  # only the missing one is listed
    assert 'TRACEGRAD_DATASET_ROOT' in message


def test_downloads_missing_files(root, tmp_path_factory, monkeypatch):
    server = tmp_path_factory.mktemp('server')
    arrays = make_files(server)
    monkeypatch.setattr(mnist, '_MIRRORS', [(server / 'nothing-here').as_uri() + '/',
                                            server.as_uri() + '/'])
    _, test = datasets.get_mnist(withlabel=False, scale=255.)
    np.testing.assert_allclose(test.reshape(3, 28, 28), arrays['t10k'][0])
    assert sorted(os.listdir(root / 'mnist')) == sorted(n + '.gz' for n in NAMES)


def test_bad_download_is_not_kept(root, tmp_path_factory, monkeypatch):
    server = tmp_path_factory.mktemp('server')
    for name in NAMES:
        (server / (name + '.gz')).write_bytes(b'<html>not found</html>')
    monkeypatch.setattr(mnist, '_MIRRORS', [server.as_uri() + '/'])
    with pytest.raises(RuntimeError, match='could not be downloaded'):
        datasets.get_mnist()
    assert os.listdir(root / 'mnist') == []


def test_mismatched_files(root):
    make_files(root / 'mnist')
    write_idx(root / 'mnist' / 'train-labels-idx1-ubyte.gz', np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match='do not match'):
        datasets.get_mnist()
    write_idx(root / 'mnist' / 'train-images-idx3-ubyte.gz', np.zeros((5, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r'shape \(N, 28, 28\)'):
        datasets.get_mnist()


def test_default_root_is_the_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv('TRACEGRAD_DATASET_ROOT', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    monkeypatch.setattr(mnist, '_MIRRORS', [])
    make_files(tmp_path / 'tracegrad' / 'datasets' / 'mnist')
    assert dataset.get_dataset_root() == str(tmp_path / 'tracegrad' / 'datasets')
    train, _ = datasets.get_mnist()
    assert len(train) == 5
