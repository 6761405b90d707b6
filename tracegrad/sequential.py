"""Sequential: a ChainList whose forward pass calls its layers one after another."""
from __future__ import annotations

import copy as copy_module
from collections.abc import Callable
from typing import Any

import numpy

from tracegrad.link import ChainList, Link, _check_copy_mode


def _layer_type_name(layer) -> str:
    if isinstance(layer, Link):
        return type(layer).__name__
    return getattr(layer, '__name__', type(layer).__name__)


class Sequential(ChainList):
    """A model that feeds its input through a list of callables in order.

    Layers may be links or any callable (``F.relu``, a ``functools.partial``, a
    lambda). The links among them are the children, named by their position
    among the links (``'/0/W'``, ``'/1/W'`` for ``Sequential(L.Linear(...),
    F.relu, L.Linear(...))``). It supports Python's list operations, and ``+``
    concatenates two Sequentials. A layer returning a tuple passes its items as
    the next layer's arguments.

    Args:
        layers: the callables, in calling order.

    >>> model_A = tracegrad.Sequential(L.Linear(10, 10), F.relu)
    >>> model_B = tracegrad.Sequential(L.Linear(10, 10), F.sigmoid)
    >>> model_C = model_A + model_B
    >>> model_D = model_A.repeat(3)
    >>> print(model_C)  # doctest: +ELLIPSIS
    Sequential(
      (0): Linear(in_size=10, out_size=10, nobias=False),
      (1): <function relu at 0x...>,
      (2): Linear(in_size=10, out_size=10, nobias=False),
      (3): <function sigmoid at 0x...>,
    )
    """

    def __init__(self, *layers: Callable) -> None:
        super().__init__()
        self.__dict__['_layers'] = []
        for layer in layers:
            self.append(layer)

    def _sync_children(self) -> None:
        """Rebuild the child-link list from the layers and rename the links."""
        self.__dict__['_children'] = [layer for layer in self._layers if isinstance(layer, Link)]
        self._rename_children()

    @staticmethod
    def _check_callable(layer) -> None:
        if not callable(layer):
            raise ValueError(  # noqa: TRY004 (Chainer raises ValueError)
                f'All elements of a Sequential should be callable. But given '
                f'{layer!r} is not callable.')

    # -- the sequence protocol, over layers --
    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, index):
        return self._layers[index]

    def __setitem__(self, index, layer) -> None:
        if isinstance(index, slice):
            layer = list(layer)
            for item in layer:
                self._check_callable(item)
        elif isinstance(index, (int, numpy.integer)):
            self._check_callable(layer)
        else:
            raise TypeError(f'Sequential indices must be integers or slices, '
                            f'not {type(index).__name__}')
        self._layers[index] = layer
        self._sync_children()

    def __delitem__(self, index) -> None:
        del self._layers[index]
        self._sync_children()

    def insert(self, index: int, layer: Callable) -> None:
        """Insert ``layer`` before position ``index``."""
        n = len(self._layers)
        if not -n <= index <= n:
            raise IndexError(f'Sequential.insert: index {index} is out of range for '
                             f'{n} layers')
        self._check_callable(layer)
        self._layers.insert(index, layer)
        self._sync_children()

    def __iter__(self):
        return iter(self._layers)

    def __reversed__(self):
        return reversed(self._layers)

    def __contains__(self, layer) -> bool:
        return any(layer is item for item in self._layers)

    def index(self, layer, start: int = 0, stop: int | None = None) -> int:
        """The position of ``layer`` (compared by identity)."""
        stop = len(self._layers) if stop is None else stop
        for i in range(*slice(start, stop).indices(len(self._layers))):
            if self._layers[i] is layer:
                return i
        raise ValueError(f'{layer!r} is not in this Sequential')

    def count(self, layer) -> int:
        """How many times ``layer`` occurs (by identity)."""
        return sum(item is layer for item in self._layers)

    def remove(self, layer) -> None:
        """Remove the first occurrence of ``layer``."""
        del self[self.index(layer)]

    def clear(self) -> None:
        self._layers.clear()
        self._sync_children()

    def extend(self, layers) -> None:
        for layer in list(layers):
            self.append(layer)

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(  # noqa: TRY004 (Chainer raises ValueError)
                f'add (+) operator supports only objects of Sequential class, '
                f'but {type(other)} is given.')
        return Sequential(*self._layers, *other._layers)

    def __iadd__(self, other: Sequential):
        if not isinstance(other, Sequential):
            raise ValueError(  # noqa: TRY004 (Chainer raises ValueError)
                f'add (+) operator supports only objects of Sequential class, '
                f'but {type(other)} is given.')
        self.extend(other)
        return self

    # -- by layer type --
    def remove_by_layer_type(self, type_name: str) -> None:
        """Remove every layer whose class name (links) or ``__name__`` is ``type_name``."""
        self._layers[:] = [layer for layer in self._layers
                           if _layer_type_name(layer) != type_name]
        self._sync_children()

    def count_by_layer_type(self, type_name: str) -> int:
        """How many layers have the class name (links) or ``__name__`` ``type_name``."""
        return sum(_layer_type_name(layer) == type_name for layer in self._layers)

    # -- forward --
    def forward(self, *x: Any) -> Any:
        """Call the layers in order; a tuple output is unpacked into the next call."""
        if not self._layers:
            raise RuntimeError('Sequential does not have any layer.')
        for layer in self._layers:
            x = layer(*x) if isinstance(x, tuple) else layer(x)
        return x

    # -- copies --
    def copy(self, mode: str = 'share') -> Sequential:
        """Copy the model: links by :meth:`Link.copy` with ``mode``, other layers
        shallowly."""
        _check_copy_mode(mode)
        ret = Sequential()
        for layer in self._layers:
            ret.append(layer.copy(mode) if isinstance(layer, Link)
                       else copy_module.copy(layer))
        return ret

    def copyparams(self, link: Sequential, copy_persistent: bool = True) -> None:
        if not isinstance(link, Sequential):
            raise ValueError(  # noqa: TRY004 (Chainer raises ValueError)
                'Objects other than Sequential object cannot be copied to a '
                'Sequential object.')
        super().copyparams(link, copy_persistent)

    def flatten(self) -> Sequential:
        """Return a Sequential with nested Sequentials replaced by their layers.

        >>> a = tracegrad.Sequential(L.Linear(None, 10), F.relu)
        >>> a.append(tracegrad.Sequential(L.Linear(None, 10), F.relu))
        >>> len(a), len(a.flatten())
        (3, 4)
        """
        ret = Sequential()
        for layer in self._layers:
            if isinstance(layer, Sequential):
                ret.extend(layer.flatten())
            else:
                ret.append(layer)
        return ret

    def __str__(self) -> str:
        lines = []
        for i, layer in enumerate(self._layers):
            for line in f'({i}): {layer},'.splitlines():
                lines.append(f'  {line}\n')
        body = ''.join(lines)
        return f'Sequential(\n{body})' if body else 'Sequential()'
