"""Reading named entries of an archive (NPZ, HDF5) into an object, checking first."""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy

from tracegrad import backend
from tracegrad.serializer import Deserializer
from tracegrad.variable import _is_array

IgnoreRule = str | Callable[[str], bool]
IgnoreNames = IgnoreRule | Sequence[IgnoreRule] | None


def _ignore_list(ignore_names: IgnoreNames) -> tuple:
    if ignore_names is None:
        return ()
    if isinstance(ignore_names, (list, tuple)):
        names = tuple(ignore_names)
    else:
        names = (ignore_names,)
    for name in names:
        if not (isinstance(name, str) or callable(name)):
            raise TypeError(f'ignore_names must be a string, a callable or a list of them; '
                             f'got {type(name).__name__}')
    return names


class ArchiveDeserializer(Deserializer):
    """A deserializer over an archive of named arrays.

    A subclass says which names exist (:meth:`_contains`), what an entry's shape
    and dtype are without reading it (:meth:`_describe`) and how to read it
    (:meth:`_read`). This class resolves paths, applies ``strict`` and
    ``ignore_names``, checks shapes and dtypes and copies values. :meth:`load`
    first makes a checking pass that reads no array data and assigns nothing,
    so a bad file raises an error and leaves the object as it was.

    Args:
        path: the prefix of every name this deserializer reads.
        strict: raise KeyError for a missing entry (else leave the value alone).
        ignore_names: names (or predicates on full names) to skip.
        source: how error messages refer to the data (e.g. a file name).
    """

    _default_source = 'the archive'

    def __init__(self, path: str = '', strict: bool = True,
                 ignore_names: IgnoreNames = None, source: str | None = None):
        self.path = path
        self.strict = strict
        self.ignore_names = _ignore_list(ignore_names)
        self.source = source if source is not None else self._default_source
        self._checking = False
        self._raised: list = []  # the errors a checking pass raised (shared by its children)

    # -- what a subclass provides --
    def _contains(self, name: str) -> bool:
        raise NotImplementedError

    def _describe(self, name: str):
        """Return ``(shape, dtype)`` of the entry, or None when it stores None."""
        raise NotImplementedError

    def _read(self, name: str):
        """Return the entry as a NumPy array, or None when it stores None."""
        raise NotImplementedError

    # -- the protocol --
    def __getitem__(self, key: str) -> ArchiveDeserializer:
        child = copy.copy(self)
        child.path = self.path + key.strip('/') + '/'
        return child

    def checker(self) -> ArchiveDeserializer:
        checking = copy.copy(self)
        checking._checking = True
        checking._raised = []
        return checking

    def raised(self, error: BaseException) -> bool:
        return any(error is e for e in self._raised)

    def _error(self, error: Exception) -> Exception:
        if self._checking:
            self._raised.append(error)
        return error

    def _ignored(self, name: str) -> bool:
        return any(name == rule if isinstance(rule, str) else rule(name)
                   for rule in self.ignore_names)

    def __call__(self, key: str, value: Any) -> Any:
        name = self.path + key.lstrip('/')
        if self._ignored(name):
            return value
        if not self._contains(name):
            if self.strict:
                raise self._error(KeyError(f"'{name}' is not in {self.source}"))
            return value
        if _is_array(value):
            return self._load_array(name, value)
        if value is None:
            return None if self._checking else self._read(name)
        return self._load_scalar(name, value)

    def _load_array(self, name: str, value):
        described = self._describe(name)
        if described is None:  # a stored None: the target keeps its array
            return value if self._checking else None
        shape, dtype = described
        if tuple(shape) != value.shape:
            raise self._error(ValueError(
                f"cannot load '{name}' from {self.source}: the stored array has shape "
                f"{tuple(shape)}, but the target has shape {value.shape}"))
        if not numpy.can_cast(dtype, value.dtype, 'same_kind'):
            raise self._error(TypeError(
                f"cannot load '{name}' from {self.source}: the stored {dtype} array cannot be "
                f"cast to the target's dtype {value.dtype}"))
        if not self._checking:
            backend.copyto(value, self._read(name))
        return value

    def _load_scalar(self, name: str, value):
        stored = self._read(name)
        if stored is None:
            return value if self._checking else None
        stored = numpy.asarray(stored)
        value_type = type(value)
        kind = stored.dtype.kind
        if kind in 'biufc' and not (kind in 'iu' and value_type is int) and \
                not numpy.can_cast(stored.dtype, value_type, 'safe'):
            raise self._error(TypeError(
                f"cannot load '{name}' from {self.source}: a stored {stored.dtype} value cannot "
                f"be converted safely to {value_type.__name__}"))
        converted = value_type(stored)
        return value if self._checking else converted
