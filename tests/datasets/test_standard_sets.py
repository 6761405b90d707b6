"""CIFAR, SVHN, Penn Treebank, Fashion- and Kuzushiji-MNIST on small files in the official
formats, written by the tests (never the network: the sources are file:// URLs)."""
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from tracegrad import datasets
from tracegrad.datasets import cifar, mnist, ptb, svhn
from tracegrad.datasets.idx import write_idx


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv('TRACEGRAD_DATASET_ROOT', str(tmp_path / 'root'))
    server = tmp_path / 'server'
    server.mkdir()
    for module in (cifar, svhn, ptb):
        monkeypatch.setattr(module, '_URL', server.as_uri() + '/{}')
    monkeypatch.setattr(mnist, '_FASHION_MIRRORS', [server.as_uri() + '/'])
    monkeypatch.setattr(mnist, '_KUZUSHIJI_MIRRORS', [server.as_uri() + '/'])
    return tmp_path / 'root', server


def _add_pickle(archive, name, obj):
    data = pickle.dumps(obj, protocol=2)
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def make_cifar10(path, n=2):
    rng = np.random.RandomState(0)
    batches = {}
    with tarfile.open(path, 'w:gz') as archive:
        for i, name in enumerate([f'data_batch_{k}' for k in range(1, 6)] + ['test_batch']):
            data = rng.randint(0, 256, (n, 3072)).astype(np.uint8)
            labels = [int(v) for v in rng.randint(0, 10, n)]
            _add_pickle(archive, f'cifar-10-batches-py/{name}', {'data': data, 'labels': labels})
            batches[name] = data, labels
    return batches


def test_cifar10(root):
    folder, server = root
    batches = make_cifar10(server / 'cifar-10')
    train, test = datasets.get_cifar10()
    assert len(train) == 10 and len(test) == 2
    image, label = train[3]  # the second image of data_batch_2
    assert image.shape == (3, 32, 32) and image.dtype == np.float32 and label.dtype == np.int32
    data, labels = batches['data_batch_2']
    np.testing.assert_allclose(image, data[1].reshape(3, 32, 32) / 255., rtol=1e-6)
    assert label == labels[1]
    # The archive was downloaded and its arrays cached; the cache alone serves later calls.
    assert sorted(os.listdir(folder / 'cifar')) == ['cifar-10-python.tar.gz', 'cifar-10.npz']
    os.remove(folder / 'cifar' / 'cifar-10-python.tar.gz')
    flat, _ = datasets.get_cifar10(withlabel=False, ndim=1, scale=255., dtype=np.float64)
    assert flat.shape == (10, 3072) and flat.dtype == np.float64
    np.testing.assert_array_equal(flat[3], data[1])
    with pytest.raises(ValueError, match='get_cifar10: invalid ndim 2'):
        datasets.get_cifar10(ndim=2)


def test_cifar100_fine_labels(root):
    _folder, server = root
    rng = np.random.RandomState(1)
    parts = {}
    with tarfile.open(server / 'cifar-100', 'w:gz') as archive:
        for part, n in (('train', 3), ('test', 2)):
            data = rng.randint(0, 256, (n, 3072)).astype(np.uint8)
            fine = [int(v) for v in rng.randint(0, 100, n)]
            _add_pickle(archive, f'cifar-100-python/{part}',
                        {'data': data, 'fine_labels': fine, 'coarse_labels': [0] * n})
            parts[part] = data, fine
    train, test = datasets.get_cifar100()
    assert len(train) == 3 and len(test) == 2
    assert [int(test[i][1]) for i in range(2)] == parts['test'][1]


def test_archive_put_by_the_user_is_used_offline(root, monkeypatch):
    folder, server = root
    (folder / 'cifar').mkdir(parents=True)
    make_cifar10(folder / 'cifar' / 'cifar-10-python.tar.gz')
    monkeypatch.setattr(cifar, '_URL', (server / 'missing').as_uri() + '/{}')
    train, _ = datasets.get_cifar10()
    assert len(train) == 10


def test_bad_archive_leaves_no_cache(root):
    folder, server = root
    with tarfile.open(server / 'cifar-10', 'w:gz') as archive:
        _add_pickle(archive, 'cifar-10-batches-py/data_batch_1', {'data': np.zeros((1, 3072)),
                                                                 'labels': [0]})
    with pytest.raises(ValueError, match='get_cifar10: .* has no cifar-10-batches-py/data_batch_2'):
        datasets.get_cifar10()
    assert not os.path.exists(folder / 'cifar' / 'cifar-10.npz')
    assert [n for n in os.listdir(folder / 'cifar') if n.startswith('.')] == []


def test_missing_source_says_where_to_put_it(root, monkeypatch):
    folder, _server = root
    with pytest.raises(RuntimeError) as info:
        datasets.get_cifar100()
    message = str(info.value)
    assert 'get_cifar100' in message and 'cifar-100-python.tar.gz' in message
    assert str(folder / 'cifar') in message and 'could not be downloaded' in message


def test_svhn(root):
    from scipy import io as sio

    _folder, server = root
    rng = np.random.RandomState(2)
    raw = {}
    for part, n in (('train', 3), ('test', 2), ('extra', 1)):
        x = rng.randint(0, 256, (32, 32, 3, n)).astype(np.uint8)
        y = np.array([[10], [3], [7]][:n], np.uint8)
        sio.savemat(server / part, {'X': x, 'y': y})
        raw[part] = x, y
    train, test = datasets.get_svhn()
    assert len(train) == 3 and len(test) == 2
    image, _label = train[0]
    assert image.shape == (3, 32, 32) and image.dtype == np.float32
    np.testing.assert_allclose(image, raw['train'][0][..., 0].transpose(2, 0, 1) / 255.,
                               rtol=1e-6)
    assert [int(train[i][1]) for i in range(3)] == [0, 3, 7]  # label 10 is the digit 0
    train, test, extra = datasets.get_svhn(withlabel=False, scale=2., add_extra=True,
                                           dtype=np.float64)
    assert extra.shape == (1, 3, 32, 32) and extra.dtype == np.float64
    assert float(train.max()) <= 2.


def test_ptb_words(root):
    _folder, server = root
    (server / 'train').write_text('the cat sat\n a dog \n\nthe end\n')
    (server / 'valid').write_text('the dog\n')
    (server / 'test').write_text('a cat sat\n')
    vocabulary = datasets.get_ptb_words_vocabulary()
    assert vocabulary == {'the': 0, 'cat': 1, 'sat': 2, '<eos>': 3, 'a': 4, 'dog': 5, 'end': 6}
    train, valid, test = datasets.get_ptb_words()
    for words in (train, valid, test):
        assert words.dtype == np.int32
    np.testing.assert_array_equal(train, [0, 1, 2, 3, 4, 5, 3, 3, 0, 6, 3])
    np.testing.assert_array_equal(valid, [0, 5, 3])
    np.testing.assert_array_equal(test, [4, 1, 2, 3])


@pytest.mark.parametrize('function,labels', [
    ('get_fashion_mnist', 'get_fashion_mnist_labels'),
    ('get_kuzushiji_mnist', 'get_kuzushiji_mnist_labels'),
])
def test_mnist_twins(root, function, labels):
    folder, server = root
    rng = np.random.RandomState(3)
    for prefix, n in (('train', 4), ('t10k', 2)):
        write_idx(server / f'{prefix}-images-idx3-ubyte.gz',
                  rng.randint(0, 256, (n, 28, 28)).astype(np.uint8))
        write_idx(server / f'{prefix}-labels-idx1-ubyte.gz',
                  rng.randint(0, 10, n).astype(np.uint8))
    train, test = getattr(datasets, function)(ndim=3)
    assert len(train) == 4 and len(test) == 2 and train[0][0].shape == (1, 28, 28)
    assert len(os.listdir(folder / function[4:])) == 4  # its own folder
    names = getattr(datasets, labels)()
    assert len(names) == 10 and len(set(names)) == 10
    names.append('changed')  # a copy: the module's list stays as it was
    assert len(getattr(datasets, labels)()) == 10


def test_fashion_mnist_labels_are_chainers():
    assert datasets.get_fashion_mnist_labels()[0] == 'T-shirt/top'
    assert datasets.get_kuzushiji_mnist_labels()[9] == ('wo', '\u3092')
