"""Reading and writing the IDX format of the MNIST files.

An IDX file holds one array: two zero bytes, a type code, the number of
dimensions, each dimension as a big-endian int32, then the values in C order,
big-endian. Files ending in ``.gz`` are gzip-compressed.
"""
from __future__ import annotations

import gzip
import os

import numpy

_DTYPES = {
    0x08: numpy.dtype('u1'), 0x09: numpy.dtype('i1'), 0x0B: numpy.dtype('>i2'),
    0x0C: numpy.dtype('>i4'), 0x0D: numpy.dtype('>f4'), 0x0E: numpy.dtype('>f8'),
}
_CODES = {dtype.newbyteorder('>'): code for code, dtype in _DTYPES.items()}


def _open(path):
    return gzip.open(path, 'rb') if os.fspath(path).endswith('.gz') else open(path, 'rb')


def read_idx(path) -> numpy.ndarray:
    """Return the array stored in the IDX file ``path`` (gzip-compressed if it ends in ``.gz``).

    Values come back in native byte order. Raises ValueError naming the file when it
    is not a complete IDX file.
    """
    with _open(path) as f:
        try:
            data = f.read()
        except (OSError, EOFError) as e:  # a damaged gzip stream
            raise ValueError(f'read_idx: {path} is not a readable gzip file: {e}') from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise ValueError(f'read_idx: {path} is not an IDX file (bad magic number '
                         f'{data[:4].hex() or "(empty)"})')
    dtype, ndim = _DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f'read_idx: {path} is truncated in its header')
    shape = tuple(int(n) for n in numpy.frombuffer(data, '>i4', ndim, 4))
    count = int(numpy.prod(shape, dtype=numpy.int64))
    if len(data) - header != count * dtype.itemsize:
        raise ValueError(
            f'read_idx: {path} should hold {count * dtype.itemsize} bytes of data for '
            f'shape {shape}, but holds {len(data) - header}')
    array = numpy.frombuffer(data, dtype, count, header).reshape(shape)
    return array.astype(dtype.newbyteorder('='))


def write_idx(path, array) -> None:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) to ``path`` in
    the IDX format, gzip-compressed when ``path`` ends in ``.gz``."""
    array = numpy.asarray(array)
    big = array.dtype.newbyteorder('>') if array.dtype.itemsize > 1 else array.dtype
    if big not in _CODES:
        raise TypeError(f'write_idx: dtype {array.dtype} has no IDX type code')
    header = bytes([0, 0, _CODES[big], array.ndim])
    header += numpy.asarray(array.shape, '>i4').tobytes()
    payload = header + numpy.ascontiguousarray(array, big).tobytes()
    opener = gzip.open if os.fspath(path).endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(payload)
