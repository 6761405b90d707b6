"""The IDX reader and writer of the MNIST files."""
import gzip

import numpy as np
import pytest

from tracegrad.datasets.idx import read_idx, write_idx


@pytest.mark.parametrize('dtype', [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize('name', ['a.idx', 'a.idx.gz'])
def test_roundtrip(tmp_path, dtype, name):
    array = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_known_bytes(tmp_path):
    # A 1-D int32 file written by hand: magic 0x0000_0C_01, length 2, big-endian values.
    path = tmp_path / 'labels'
    path.write_bytes(bytes([0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFE]))
    np.testing.assert_array_equal(read_idx(path), [256, -2])
    write_idx(tmp_path / 'again', np.array([256, -2], np.int32))
    assert (tmp_path / 'again').read_bytes() == path.read_bytes()


def test_bad_files(tmp_path):
    (tmp_path / 'magic').write_bytes(b'\x01\x02\x08\x01' + bytes(8))
    with pytest.raises(ValueError, match='bad magic number'):
        read_idx(tmp_path / 'magic')
    (tmp_path / 'empty').write_bytes(b'')
    with pytest.raises(ValueError, match='not an IDX file'):
        read_idx(tmp_path / 'empty')
    (tmp_path / 'short').write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]))
    with pytest.raises(ValueError, match='should hold 4 bytes'):
        read_idx(tmp_path / 'short')
    (tmp_path / 'header').write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ValueError, match='truncated'):
        read_idx(tmp_path / 'header')
    (tmp_path / 'broken.gz').write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 9]))[:-6])
    with pytest.raises(ValueError, match='broken.gz'):
        read_idx(tmp_path / 'broken.gz')
    with pytest.raises(TypeError, match='no IDX type code'):
        write_idx(tmp_path / 'x', np.zeros(2, np.complex64))
