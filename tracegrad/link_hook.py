"""Link hooks: callbacks around each call of a link's ``forward``.

A :class:`LinkHook` is registered for the current thread with ``with hook:``, or
for one link with ``Link.add_hook``. As with function hooks, calling a link looks
for no hooks while none is registered: ``Link.__call__`` is replaced by a version
that calls them only while at least one exists.

In a compiled step (``tracegrad.compile``) link hooks run while the step is traced,
like the rest of its Python code: hooks that compute (SpectralNormalization) become
part of the compiled graph; hooks that observe eager calls (TimerHook) refuse to be
traced. Registering or removing a hook makes the next call trace again.
"""
from __future__ import annotations

import collections
import threading
import weakref
from typing import Any, Self

_thread_local = threading.local()
_lock = threading.RLock()  # a finalizer may recount while this thread holds it
_n_global = 0  # hooks registered with ``with`` in all threads
_owners = weakref.WeakSet()  # links with local hooks
_wrapped = False
_plain_call = None  # Link.__call__ without hooks (set when first replaced)


def get_link_hooks() -> collections.OrderedDict:
    """The link hooks registered in this thread with ``with hook:``, by name."""
    try:
        return _thread_local.link_hooks
    except AttributeError:
        hooks = _thread_local.link_hooks = collections.OrderedDict()
        return hooks


class _ForwardPreprocessCallbackArgs:
    """What ``forward_preprocess`` gets: ``link``, ``forward_name``, ``args``, ``kwargs``."""

    def __init__(self, link, forward_name: str, args: tuple, kwargs: dict):
        self.link = link
        self.forward_name = forward_name
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return (f'<{type(self).__name__} link={self.link!r}, forward_name={self.forward_name!r},'
                f' args={self.args!r}, kwargs={self.kwargs!r}>')


class _ForwardPostprocessCallbackArgs(_ForwardPreprocessCallbackArgs):
    """What ``forward_postprocess`` gets: the preprocess fields and ``out``."""

    def __init__(self, link, forward_name: str, args: tuple, kwargs: dict, out: Any):
        super().__init__(link, forward_name, args, kwargs)
        self.out = out


class LinkHook:
    """Base class of callbacks called before and after each call of a link's ``forward``.

    Override any of :meth:`added`, :meth:`deleted`, :meth:`forward_preprocess` and
    :meth:`forward_postprocess`; by default they do nothing. Register a hook for
    every link called in this thread inside ``with hook:`` (``added``/``deleted``
    get ``None``), or for one link with ``link.add_hook(hook)``.

    >>> class Names(tracegrad.LinkHook):
    ...     name = 'Names'
    ...     def __init__(self):
    ...         self.seen = []
    ...     def forward_preprocess(self, args):
    ...         self.seen.append(type(args.link).__name__)
    >>> model = L.Classifier(L.Linear(3, 2))
    >>> with Names() as hook:
    ...     loss = model(np.ones((1, 3), np.float32), np.zeros(1, np.int32))
    >>> hook.seen
    ['Classifier', 'Linear']

    Attributes:
        name (str): the key of the hook among the registered ones.
    """

    name = 'LinkHook'

    def __enter__(self) -> Self:
        hooks = get_link_hooks()
        if self.name in hooks:
            raise KeyError(f'hook {self.name} already exists')
        hooks[self.name] = self
        _count_global(1)
        self.added(None)
        return self

    def __exit__(self, *exc) -> None:
        hook = get_link_hooks().pop(self.name)
        _count_global(-1)
        hook.deleted(None)

    def added(self, link) -> None:
        """Called when the hook is registered (``link`` is None for ``with``)."""

    def deleted(self, link) -> None:
        """Called when the hook is unregistered (``link`` is None for ``with``)."""

    def forward_preprocess(self, args: _ForwardPreprocessCallbackArgs) -> None:
        """Called before ``forward`` with ``args.link``, ``args.forward_name``,
        ``args.args`` and ``args.kwargs``."""

    def forward_postprocess(self, args: _ForwardPostprocessCallbackArgs) -> None:
        """Called after ``forward`` with the preprocess fields and ``args.out``."""


def _count_global(delta: int) -> None:
    global _n_global
    with _lock:
        _n_global += delta
    _refresh()


def _refresh(*_) -> None:
    """Use the hook-calling ``Link.__call__`` while any link hook is registered."""
    global _wrapped, _plain_call
    from tracegrad.link import Link

    with _lock:
        wanted = _n_global > 0 or next(iter(_owners), None) is not None
        if wanted == _wrapped:
            return
        _wrapped = wanted
        if wanted:
            _plain_call = vars(Link)['__call__']
            Link.__call__ = _call_with_hooks
        else:
            Link.__call__ = _plain_call


def local_hooks(link) -> collections.OrderedDict:
    hooks = link.__dict__.get('_local_link_hooks')
    if hooks is None:
        hooks = link.__dict__['_local_link_hooks'] = collections.OrderedDict()
    return hooks


def add_local_hook(link, hook: LinkHook, name: str | None) -> None:
    if not isinstance(hook, LinkHook):
        raise TypeError(f'{type(link).__name__}.add_hook: hook must be a LinkHook, '
                        f'got {type(hook).__name__}')
    if name is None:
        name = hook.name
    hooks = local_hooks(link)
    if name in hooks:
        raise KeyError(f'{type(link).__name__}.add_hook: hook {name} already exists')
    hooks[name] = hook
    track(link)
    try:
        hook.added(link)
    except BaseException:  # e.g. SpectralNormalization on a link without the weight
        del hooks[name]
        _forget_if_empty(link, hooks)
        raise


def track(link) -> None:
    """Note that ``link`` has local hooks (so that ``Link.__call__`` looks for them)."""
    if link not in _owners:
        with _lock:
            _owners.add(link)
        weakref.finalize(link, _refresh).atexit = False
    _refresh()


def delete_local_hook(link, name: str) -> None:
    hooks = link.__dict__.get('_local_link_hooks')
    if not hooks or name not in hooks:
        raise KeyError(f'{type(link).__name__}.delete_hook: hook {name} does not exist')
    hook = hooks.pop(name)
    _forget_if_empty(link, hooks)
    hook.deleted(link)


def _forget_if_empty(link, hooks) -> None:
    if not hooks:
        with _lock:
            _owners.discard(link)
        _refresh()


def hooks_of(link) -> list:
    """The hooks that apply to ``link`` now: this thread's, then its own."""
    hooks = getattr(_thread_local, 'link_hooks', None)
    own = link.__dict__.get('_local_link_hooks')
    if own:
        merged = collections.OrderedDict(hooks or ())
        merged.update(own)
        return list(merged.values())
    return list(hooks.values()) if hooks else []


def _call_with_hooks(self, *args, **kwargs):
    """``Link.__call__`` while link hooks exist."""
    hooks = hooks_of(self)
    if not hooks:
        return self.forward(*args, **kwargs)
    pre = _ForwardPreprocessCallbackArgs(self, 'forward', args, kwargs)
    for hook in hooks:
        hook.forward_preprocess(pre)
    out = self.forward(*args, **kwargs)
    post = _ForwardPostprocessCallbackArgs(self, 'forward', args, kwargs, out)
    for hook in hooks:
        hook.forward_postprocess(post)
    return out
