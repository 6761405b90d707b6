"""cached_download and cache_or_load_file (file:// URLs; never the network)."""
import os

import numpy as np
import pytest

from tracegrad import dataset


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv('TRACEGRAD_DATASET_ROOT', str(tmp_path / 'root'))
    return tmp_path / 'root'


def test_cached_download(root, tmp_path):
    source = tmp_path / 'source.bin'
    source.write_bytes(b'first')
    path = dataset.cached_download(source.as_uri())
    assert os.path.dirname(path) == str(root / '_dl_cache')
    with open(path, 'rb') as f:
        assert f.read() == b'first'
    source.write_bytes(b'second')  # a second call does not download again
    assert dataset.cached_download(source.as_uri()) == path
    with open(path, 'rb') as f:
        assert f.read() == b'first'
    with pytest.raises(OSError):
        dataset.cached_download((tmp_path / 'missing').as_uri())
    assert os.listdir(root / '_dl_cache') == [os.path.basename(path)]


def test_cache_or_load_file(tmp_path):
    path = str(tmp_path / 'cache' / 'arrays.npz')
    calls = []

    def create(temp_path):
        calls.append(temp_path)
        assert temp_path != path and os.path.basename(temp_path) == 'arrays.npz'
        np.savez(temp_path, x=np.arange(3))
        return 'created'

    assert dataset.cache_or_load_file(path, create, dataset.download.load_npz) == 'created'
    loaded = dataset.cache_or_load_file(path, create, dataset.download.load_npz)
    np.testing.assert_array_equal(loaded['x'], [0, 1, 2])
    assert len(calls) == 1
    assert os.listdir(tmp_path / 'cache') == ['arrays.npz']  # no temporary folder left


def test_failed_creator_leaves_nothing(tmp_path):
    path = str(tmp_path / 'out.txt')

    def create(temp_path):
        with open(temp_path, 'w') as f:
            f.write('half')
        raise RuntimeError('creator failed')

    with pytest.raises(RuntimeError, match='creator failed'):
        dataset.cache_or_load_file(path, create, open)
    assert os.listdir(tmp_path) == []
