"""HDF5 serialization (needs h5py: ``pip install tracegrad[hdf5]``)."""
from __future__ import annotations

import os
from typing import Any

import numpy

from tracegrad.backends import cuda
from tracegrad.serializer import Serializer
from tracegrad.serializers.archive import ArchiveDeserializer
from tracegrad.serializers.atomic_file import atomic_write
from tracegrad.variable import _is_array


def _h5py():
    """Import h5py, or explain how to install it."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError('HDF5 serialization needs h5py, which is not installed: '
                          'pip install tracegrad[hdf5]') from e
    return h5py


class HDF5Serializer(Serializer):
    """Serializer into an HDF5 group: children become subgroups, values datasets.

    Args:
        group (h5py.Group): the group to write into.
        compression (int): the gzip level of datasets with more than one element.
    """

    def __init__(self, group, compression: int = 4):
        self._h5py = _h5py()
        self.group = group
        self.compression = compression

    def __getitem__(self, key: str) -> HDF5Serializer:
        return HDF5Serializer(self.group.require_group(key.strip('/')), self.compression)

    def __call__(self, key: str, value: Any) -> Any:
        if value is None:
            data, compression = self._h5py.Empty('f'), None
        else:
            data = numpy.asarray(cuda.to_cpu(value) if _is_array(value) else value)
            compression = None if data.size <= 1 else self.compression
        self.group.create_dataset(key, data=data, compression=compression)
        return value


def save_hdf5(filename, obj, compression: int = 4) -> None:
    """Save ``obj`` (anything with ``serialize``, or a dict of arrays) to an HDF5 file.

    The file is written atomically, like :func:`~tracegrad.serializers.save_npz`.

    Args:
        filename: the file name.
        obj: the object to save.
        compression (int): the gzip level of datasets with more than one element.
    """
    h5py = _h5py()
    with atomic_write(filename) as f, h5py.File(f, 'w') as h5:
        if isinstance(obj, dict):
            for key, value in obj.items():
                data = numpy.asarray(value)
                h5.create_dataset('/' + key.lstrip('/'), data=data,
                                  compression=None if data.size <= 1 else compression)
        else:
            HDF5Serializer(h5, compression=compression).save(obj)


class HDF5Deserializer(ArchiveDeserializer):
    """Deserializer reading an HDF5 group written by :class:`HDF5Serializer`.

    Args:
        group (h5py.Group): the group to read from.
        strict (bool): raise KeyError for a value missing from the group; when
            False such values are left as they are.
        source: how error messages refer to the file.
    """

    _default_source = 'the HDF5 data'

    def __init__(self, group, strict: bool = True, *, source: str | None = None):
        self._h5py = _h5py()
        super().__init__('', strict, None, source)
        self.group = group

    def _dataset(self, name: str):
        entry = self.group.get(name)
        return entry if isinstance(entry, self._h5py.Dataset) else None

    def _contains(self, name: str) -> bool:
        return self._dataset(name) is not None

    def _describe(self, name: str):
        dataset = self._dataset(name)
        return None if dataset.shape is None else (dataset.shape, dataset.dtype)

    def _read(self, name: str):
        dataset = self._dataset(name)
        return None if dataset.shape is None else numpy.asarray(dataset[()])


def load_hdf5(filename, obj) -> None:
    """Load ``obj`` from an HDF5 file written by :func:`save_hdf5`.

    As with :func:`~tracegrad.serializers.load_npz`, every entry is checked
    before any is assigned.
    """
    h5py = _h5py()
    with h5py.File(filename, 'r') as h5:
        HDF5Deserializer(h5, source=repr(os.fspath(filename))).load(obj)
