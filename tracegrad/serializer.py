"""The serialization protocol (Chainer's ``chainer.serializer``).

An object that can be saved implements ``serialize(serializer)`` and calls
``serializer(name, value)`` for each value it owns and ``serializer[name]`` for
the serializer of each child. A serializer stores the value and returns it; a
deserializer returns the stored value (copying arrays into ``value`` in place),
so one method serves both directions::

    def serialize(self, serializer):
        self.count = serializer('count', self.count)
        serializer('W', self.W.array)
        self.child.serialize(serializer['child'])
"""
from __future__ import annotations

from typing import Any


class AbstractSerializer:
    """Base class of serializers and deserializers."""

    def __getitem__(self, key: str) -> AbstractSerializer:
        """Return the serializer of the child named ``key``."""
        raise NotImplementedError

    def __call__(self, key: str, value: Any) -> Any:
        """Save or load the entry ``key``.

        A serializer stores ``value`` and returns it. A deserializer copies a
        stored array into ``value`` in place, converts a stored scalar to the type
        of ``value``, returns the stored entry as is when ``value`` is None, and
        returns None for a stored None (leaving ``value`` untouched).
        """
        raise NotImplementedError


class Serializer(AbstractSerializer):
    """Base class of serializers."""

    def save(self, obj) -> None:
        """Serialize ``obj`` (``obj.serialize(self)``)."""
        obj.serialize(self)


class Deserializer(AbstractSerializer):
    """Base class of deserializers."""

    def load(self, obj) -> None:
        """Load ``obj`` from this deserializer (``obj.serialize(self)``).

        A deserializer that can check entries without assigning them (see
        :meth:`checker`) first runs a checking pass over the whole object, so a
        missing entry or a wrong shape raises before anything is changed. The
        checking pass returns every value unchanged; an object whose
        ``serialize`` cannot run on those (it parses a loaded string, say) and
        fails for its own reasons is loaded without the check.
        """
        checker = self.checker()
        if checker is not None:
            try:
                obj.serialize(checker)
            except Exception as e:
                if checker.raised(e):
                    raise
        obj.serialize(self)

    def checker(self) -> Deserializer | None:
        """A deserializer over the same data that validates but assigns nothing, or None."""
        return None

    def raised(self, error: BaseException) -> bool:
        """True when this (checking) deserializer raised ``error`` itself."""
        return False
