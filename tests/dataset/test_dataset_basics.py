"""DatasetMixin, the Iterator base class and the data set folders."""
import os

import numpy as np
import pytest

from tracegrad import dataset
from tracegrad.dataset import download


class Squares(dataset.DatasetMixin):
    def __len__(self):
        return 5

    def get_example(self, i):
        if not -5 <= i < 5:
            raise IndexError(i)
        return i * i


def test_dataset_mixin_indexing():
    ds = Squares()
    assert ds[3] == 9
    assert ds[1:4] == [1, 4, 9]
    assert ds[::-2] == [16, 4, 0]
    assert ds[[4, 0]] == [16, 0]
    assert ds[np.array([2, 1])] == [4, 1]
    with pytest.raises(IndexError):
        ds[7]


def test_dataset_mixin_is_abstract():
    with pytest.raises(NotImplementedError):
        len(dataset.DatasetMixin())
    with pytest.raises(NotImplementedError):
        dataset.DatasetMixin()[0]


class CountingIterator(dataset.Iterator):
    def __init__(self):
        self.finalized = 0

    def __next__(self):
        return [1]

    def finalize(self):
        self.finalized += 1


def test_iterator_protocol_and_context_manager():
    it = CountingIterator()
    assert iter(it) is it and it.next() == [1]
    with it as same:
        assert same is it
    assert it.finalized == 1


def test_iterator_base_defaults():
    it = dataset.Iterator()
    with pytest.raises(NotImplementedError):
        next(it)
    it.finalize()
    it.serialize(None)


def test_dataset_root_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv('TRACEGRAD_DATASET_ROOT', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert download.get_dataset_root() == str(tmp_path / 'xdg' / 'tracegrad' / 'datasets')
    monkeypatch.delenv('XDG_CACHE_HOME')
    assert download.get_dataset_root() == os.path.join(
        os.path.expanduser('~'), '.cache', 'tracegrad', 'datasets')
    monkeypatch.setenv('TRACEGRAD_DATASET_ROOT', str(tmp_path / 'env'))
    assert download.get_dataset_root() == str(tmp_path / 'env')
    dataset.set_dataset_root(tmp_path / 'set')
    try:
        assert dataset.get_dataset_root() == str(tmp_path / 'set')
        path = dataset.get_dataset_directory('a/b')
        assert path == str(tmp_path / 'set' / 'a' / 'b') and os.path.isdir(path)
        assert not os.path.exists(dataset.get_dataset_directory('c', create_directory=False))
    finally:
        dataset.set_dataset_root(None)
    assert dataset.get_dataset_root() == str(tmp_path / 'env')


def test_download_file_is_atomic(tmp_path):
    source = tmp_path / 'source.bin'
    source.write_bytes(b'payload')
    target = tmp_path / 'out' / 'file.bin'
    download.download_file(source.as_uri(), str(target))
    assert target.read_bytes() == b'payload'

    def reject(path):
        with open(path, 'rb') as f:
            assert f.read() == b'payload'
        raise ValueError('bad file')

    other = tmp_path / 'out' / 'other.bin'
    with pytest.raises(ValueError, match='bad file'):
        download.download_file(source.as_uri(), str(other), check=reject)
    with pytest.raises(OSError):
        download.download_file((tmp_path / 'missing').as_uri(), str(other))
    assert sorted(os.listdir(tmp_path / 'out')) == ['file.bin']  # no partial files left
