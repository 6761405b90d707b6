"""Global and thread-local configuration (Chainer's ``chainer.config``).

``global_config`` holds process-wide defaults; ``config`` is what code reads: a
thread-local view that falls back to ``global_config`` for keys a thread has not
overridden. ``using_config`` overrides a key in the current thread for a block.
"""
from __future__ import annotations

import threading
from typing import Any

# Each thread's view is a plain attribute dict (fast to read on every op); a
# change of global_config is copied into the views that did not override the key.
_thread_views: list = []
_views_lock = threading.Lock()
_PRIVATE = ('_overridden',)


class GlobalConfig:
    """Process-wide configuration: plain attributes, visible to every thread."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        with _views_lock:
            for view in _thread_views:
                if name not in view['_overridden']:
                    view[name] = value

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        with _views_lock:
            for view in _thread_views:
                if name not in view['_overridden']:
                    view.pop(name, None)

    def show(self, file=None) -> None:
        """Print every key and its value, sorted by key."""
        _show(vars(self), file)


class LocalConfig(threading.local):
    """The configuration as seen by the current thread.

    Reading a key gives the thread's override (from :func:`using_config` or an
    assignment) or else the global value.
    """

    def __init__(self, global_config: GlobalConfig):
        view = self.__dict__
        view.update(vars(global_config))
        view['_overridden'] = set()
        with _views_lock:
            _thread_views.append(view)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__['_overridden'].add(name)
        super().__setattr__(name, value)

    def show(self, file=None) -> None:
        """Print every key visible to this thread and its value."""
        _show({k: v for k, v in vars(self).items() if k not in _PRIVATE}, file)


def _show(items: dict, file) -> None:
    import sys

    file = file or sys.stdout
    width = max((len(k) for k in items), default=0)
    for key in sorted(items):
        print(key.ljust(width), items[key], file=file)


global_config = GlobalConfig()
config = LocalConfig(global_config)

_UNSET = object()


class using_config:  # Chainer's name; a class is cheaper than a generator
    """Set ``config.<name>`` to ``value`` in the current thread for a ``with`` block.

    >>> with tracegrad.using_config('train', False):
    ...     print(tracegrad.config.train)
    False
    >>> tracegrad.config.train
    True
    """

    __slots__ = ('_config', '_name', '_old', '_value', '_was_overridden')

    def __init__(self, name: str, value: Any, config: LocalConfig = config):
        self._name = name
        self._value = value
        self._config = config

    def __enter__(self) -> None:
        view = self._config.__dict__
        name = self._name
        overridden = view['_overridden']
        self._was_overridden = name in overridden
        self._old = view.get(name, _UNSET)
        overridden.add(name)
        view[name] = self._value

    def __exit__(self, *exc_info) -> None:
        view = self._config.__dict__
        name = self._name
        if self._was_overridden:
            view[name] = self._old
        else:
            view['_overridden'].discard(name)
            default = getattr(global_config, name, _UNSET)
            if default is _UNSET:
                view.pop(name, None)
            else:
                view[name] = default


def no_backprop_mode():
    """Disable graph construction inside a ``with`` block.

    >>> x = tracegrad.Variable(np.array([1.0], np.float32))
    >>> with tracegrad.no_backprop_mode():
    ...     y = x + 1
    >>> y.creator is None
    True
    """
    return using_config('enable_backprop', False)


def force_backprop_mode():
    """Enable graph construction inside a ``with`` block, even within ``no_backprop_mode``."""
    return using_config('enable_backprop', True)


def _init_defaults() -> None:
    import os

    import numpy

    g = global_config
    g.debug = bool(int(os.environ.get('TRACEGRAD_DEBUG', os.environ.get('CHAINER_DEBUG', '0'))))
    g.enable_backprop = True
    g.train = True
    g.type_check = bool(int(os.environ.get('TRACEGRAD_TYPE_CHECK', '1')))
    g.dtype = numpy.dtype(os.environ.get('TRACEGRAD_DTYPE', 'float32'))
    g.keep_graph_on_report = False
    g.use_cudnn = 'auto'
    g.cudnn_deterministic = False
    g.use_cudnn_tensor_core = 'auto'
    g.autotune = False
    g.lazy_grad_sum = False
    g.in_recomputing = False
    g._will_recompute = False  # set by F.forget around its first (graph-free) call
    g.schedule_func = None
    g.warn_nondeterministic = False


_init_defaults()
