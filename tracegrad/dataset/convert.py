"""Converters: turn a list of examples from an iterator into arrays on a device.

:func:`concat_examples` is the default converter of Chainer's updaters and
evaluators. The :func:`converter` decorator makes a function ``f(batch, device)``
into a :class:`Converter` that receives a :class:`~tracegrad.backend.Device`
whatever the caller passed (``-1``, ``0``, ``'@numpy'``, ``'@cupy:0'`` or a Device).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from tracegrad import backend


class Converter:
    """Base class of converters: ``converter(batch, device)`` returns the converted batch.

    ``device`` is a :class:`~tracegrad.backend.Device` or None (leave arrays where they are).
    """

    def __call__(self, batch, device):
        raise NotImplementedError('a Converter subclass must implement __call__')


class _DeviceNormalizingConverter(Converter):
    """Calls a function with its ``device`` argument (second positional or keyword)
    turned into a Device; other arguments pass through unchanged."""

    def __init__(self, func: Callable):
        if not callable(func):
            raise TypeError(f'converter: can only wrap a callable, got {type(func).__name__}')
        self.func = func
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def __call__(self, *args, **kwargs):
        if len(args) >= 2:
            args = (args[0], _get_device(args[1])) + tuple(args[2:])
        elif 'device' in kwargs:
            kwargs['device'] = _get_device(kwargs['device'])
        return self.func(*args, **kwargs)

    def __repr__(self):
        return f'<converter {getattr(self.func, "__qualname__", self.func)!r}>'


def converter() -> Callable[[Callable], Converter]:
    """Decorator making a function ``f(batch, device)`` into a :class:`Converter`.

    The decorated function always receives ``device`` as a
    :class:`~tracegrad.backend.Device` (or None): an int, ``'@numpy'`` or
    ``'@cupy:N'`` given by the caller is converted first.

    >>> @chainer.dataset.converter()
    ... def to_float(batch, device):
    ...     assert isinstance(device, chainer.backend.Device)
    ...     return device.send(np.asarray(batch, np.float32))
    >>> to_float([1, 2], -1)
    array([1., 2.], dtype=float32)
    """
    return _DeviceNormalizingConverter


def _get_device(device_spec: Any):
    return None if device_spec is None else backend.get_device(device_spec)


def _call_converter(converter: Callable, batch, device):
    """Call ``converter`` the way an updater does: a :class:`Converter` gets the Device
    (or None), a plain function gets Chainer's old int (``-1`` for the CPU, the GPU id)."""
    if isinstance(converter, Converter):
        return converter(batch, device)
    if device is None:
        return converter(batch, None)
    device = backend.get_device(device)
    if device.xp is numpy:
        return converter(batch, -1)
    return converter(batch, device.device_id)


def to_device(device, x):
    """Send the array ``x`` to ``device``; with ``device=None`` return ``x`` unchanged.

    Args:
        device: None, a Device, or a device specifier (``-1`` or ``'@numpy'`` for
            the CPU, ``N >= 0`` or ``'@cupy:N'`` for GPU ``N``).
        x: an array (or None).

    Returns:
        The array on ``device``.
    """
    device = _get_device(device)
    if device is None:
        return x
    return device.send(x)


def _concat_arrays(arrays, padding):
    if not isinstance(arrays[0], backend.DEVICE_ARRAY_TYPES):
        arrays = numpy.asarray(arrays)  # numbers or lists
    device = backend.get_device_from_array(arrays[0])
    xp = device.xp
    with backend.using_device(device):
        if padding is None:
            return xp.concatenate([a[None] for a in arrays])
        shape = numpy.array(arrays[0].shape, dtype=int)
        for a in arrays[1:]:
            if a.ndim != len(shape):
                raise ValueError(
                    f'concat_examples: cannot pad arrays of different ndim '
                    f'({len(shape)} and {a.ndim})')
            numpy.maximum(shape, numpy.asarray(a.shape, dtype=int), out=shape)
        result = xp.full((len(arrays),) + tuple(int(s) for s in shape), padding,
                         dtype=arrays[0].dtype)
        for i, a in enumerate(arrays):
            result[(i,) + tuple(slice(n) for n in a.shape)] = a
        return result


@converter()
def concat_examples(batch, device=None, padding=None):
    """Concatenate a list of examples into arrays with a leading batch axis.

    A batch of tuples gives a tuple of arrays (the ``i``-th holds the ``i``-th element
    of every example); a batch of dicts gives a dict of arrays; a batch of arrays (or
    numbers) gives one array. Numbers and lists become NumPy arrays.

    Args:
        batch (list): examples, as an iterator returns them.
        device: where to send the arrays (see :func:`to_device`); None leaves them
            where they are.
        padding: None (the default) requires arrays of one shape. Otherwise the
            arrays are copied into one of the smallest shape holding them all, and
            the rest is filled with ``padding``: a scalar, or a tuple/dict of scalars
            matching the structure of an example.

    Returns:
        An array, a tuple of arrays or a dict of arrays.

    >>> x = [([1, 2], 1),
    ...      ([3, 4], 2),
    ...      ([5, 6], 3)]
    >>> chainer.dataset.concat_examples(x)
    (array([[1, 2],
           [3, 4],
           [5, 6]]), array([1, 2, 3]))
    >>> y = [(np.array([1, 2]), 0),
    ...      (np.array([3]), 1),
    ...      (np.array([]), 2)]
    >>> chainer.dataset.concat_examples(y, padding=100)
    (array([[  1,   2],
           [  3, 100],
           [100, 100]]), array([0, 1, 2]))
    >>> z = [(np.array([1, 2]), np.array([0])),
    ...      (np.array([3]), np.array([])),
    ...      (np.array([]), np.array([2]))]
    >>> chainer.dataset.concat_examples(z, padding=(100, 200))
    (array([[  1,   2],
           [  3, 100],
           [100, 100]]), array([[  0],
           [200],
           [  2]]))
    >>> w = [{'feature': np.array([1, 2]), 'label': 0},
    ...      {'feature': np.array([3, 4]), 'label': 1},
    ...      {'feature': np.array([5, 6]), 'label': 2}]
    >>> chainer.dataset.concat_examples(w)
    {'feature': array([[1, 2],
           [3, 4],
           [5, 6]]), 'label': array([0, 1, 2])}
    """
    if len(batch) == 0:
        raise ValueError('concat_examples: batch is empty')
    first = batch[0]
    if isinstance(first, tuple):
        if not isinstance(padding, tuple):
            padding = (padding,) * len(first)
        return tuple(to_device(device, _concat_arrays([example[i] for example in batch],
                                                      padding[i]))
                     for i in range(len(first)))
    if isinstance(first, dict):
        if not isinstance(padding, dict):
            padding = dict.fromkeys(first, padding)
        return {key: to_device(device, _concat_arrays([example[key] for example in batch],
                                                      padding[key]))
                for key in first}
    return to_device(device, _concat_arrays(batch, padding))
