"""NPZ serialization: an object's tree of values as one flat ``.npz`` archive."""
from __future__ import annotations

import os
from typing import Any

import numpy

from tracegrad.backends import cuda
from tracegrad.serializer import Serializer
from tracegrad.serializers.archive import ArchiveDeserializer, IgnoreNames
from tracegrad.serializers.atomic_file import atomic_write
from tracegrad.variable import _is_array


class DictionarySerializer(Serializer):
    """Serializer into a flat dictionary whose keys are the paths of the values.

    It writes no file: the dictionary (:attr:`target`) can be passed to
    :func:`numpy.savez`. NumPy arrays are stored by reference, GPU arrays are
    copied to the host, and None is stored as a 0-d object array.

    Args:
        target (dict): the dictionary to fill (a new one when None).
        path (str): the prefix of every key this serializer writes.

    >>> from tracegrad.serializers import DictionarySerializer
    >>> s = DictionarySerializer()
    >>> s['child']('t', 3)
    3
    >>> s.target
    {'child/t': 3}
    """

    def __init__(self, target: dict | None = None, path: str = ''):
        self.target = {} if target is None else target
        self.path = path

    def __getitem__(self, key: str) -> DictionarySerializer:
        return DictionarySerializer(self.target, self.path + key.strip('/') + '/')

    def __call__(self, key: str, value: Any) -> Any:
        if value is None:
            stored = numpy.asarray(None)
        else:
            stored = cuda.to_cpu(value) if _is_array(value) else value
        self.target[self.path + key.lstrip('/')] = stored
        return value


def serialize(obj) -> dict:
    """Return the flat dictionary of ``obj``'s values (see :class:`DictionarySerializer`)."""
    serializer = DictionarySerializer()
    serializer.save(obj)
    return serializer.target


def save_npz(file, obj, compression: bool = True) -> None:
    """Save ``obj`` (a Link, an Optimizer, anything with ``serialize``, or a dict) to NPZ.

    A file name is written atomically: the archive goes to a temporary file in
    the same directory, is flushed to disk and then replaces ``file``, so a
    failure midway leaves an existing file intact.

    Args:
        file: a file name (str or path-like) or a writable binary file object.
        obj: the object to save; a dict is saved as is.
        compression: compress the archive.
    """
    target = obj if isinstance(obj, dict) else serialize(obj)
    savez = numpy.savez_compressed if compression else numpy.savez
    if isinstance(file, (str, os.PathLike)):
        with atomic_write(file) as f:
            savez(f, **target)
    else:
        savez(file, **target)


class NpzDeserializer(ArchiveDeserializer):
    """Deserializer reading an NPZ archive written by :func:`save_npz`.

    Args:
        npz: an opened NPZ file (:func:`numpy.load`) or a dict of arrays.
        path: the prefix of the names to read (e.g. ``'updater/model:main/'``).
        strict: raise KeyError for a value missing from the archive; when False
            such values are left as they are.
        ignore_names: a name, a predicate on names, or a list of them: entries
            to skip.
        source: how error messages refer to the archive (e.g. its file name).
    """

    _default_source = 'the NPZ data'

    def __init__(self, npz, path: str = '', strict: bool = True,
                 ignore_names: IgnoreNames = None, *, source: str | None = None):
        super().__init__(path, strict, ignore_names, source)
        self.npz = npz
        self._names = frozenset(npz.files if hasattr(npz, 'files') else npz.keys())

    def _contains(self, name: str) -> bool:
        return name in self._names

    def _describe(self, name: str):
        archive = getattr(self.npz, 'zip', None)
        if archive is None:  # a dict of arrays
            array = self._read(name)
            return None if array is None else (array.shape, array.dtype)
        with archive.open(name + '.npy') as f:
            version = numpy.lib.format.read_magic(f)
            read_header = (numpy.lib.format.read_array_header_1_0 if version == (1, 0)
                           else numpy.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(f)
        if dtype.hasobject:  # None is stored as a 0-d object array
            array = self._read(name)
            return None if array is None else (array.shape, array.dtype)
        return shape, dtype

    def _read(self, name: str):
        stored = self.npz[name]
        # An archive hands out a fresh array per read; a dict would hand out the stored
        # array itself, which two loaded objects would then share.
        array = numpy.asarray(stored) if hasattr(self.npz, 'zip') else numpy.array(stored)
        if array.dtype.hasobject and array.shape == () and array[()] is None:
            return None
        return array


def load_npz(file, obj, path: str = '', strict: bool = True,
             ignore_names: IgnoreNames = None) -> None:
    """Load ``obj`` from an NPZ file written by :func:`save_npz`.

    Every entry is checked (present, same shape, castable dtype) before any is
    assigned: on an error ``obj`` is left exactly as it was.

    Args:
        file: a file name or a readable binary file object.
        obj: the object to load into (it must have ``serialize``).
        path: the prefix in the archive under which ``obj`` was saved.
        strict: raise KeyError when an entry is missing (else skip it).
        ignore_names: a name, a predicate on names, or a list of them: entries
            to skip.
    """
    source = repr(os.fspath(file)) if isinstance(file, (str, os.PathLike)) else None
    # Pickle is allowed, as in Chainer, because None values are stored as
    # object arrays: load only files from a source you trust.
    npz = numpy.load(file, allow_pickle=True)
    if not hasattr(npz, 'files'):
        raise ValueError(f'load_npz: {source or "the file"} is not an NPZ archive')
    with npz:
        NpzDeserializer(npz, path=path, strict=strict, ignore_names=ignore_names,
                        source=source).load(obj)
