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
from typing import Any, Self

from tracegrad._hook_registry import HookRegistry

_plain_call = None  # Link.__call__ without hooks (set when first replaced)


def _install_call(wanted: bool) -> None:
    """Use the hook-calling ``Link.__call__`` while any link hook is registered."""
    global _plain_call
    from tracegrad.link import Link

    if wanted:
        _plain_call = vars(Link)['__call__']
        Link.__call__ = _call_with_hooks
    else:
        Link.__call__ = _plain_call


_registry = HookRegistry(_install_call)  # owners: links with hooks of their own


def get_link_hooks() -> collections.OrderedDict:
    """The link hooks registered in this thread with ``with hook:``, by name."""
    return _registry.thread_hooks()


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
        _registry.enter(self)
        return self

    def __exit__(self, *exc) -> None:
        _registry.exit(self.name)

    def added(self, link) -> None:
        """Called when the hook is registered (``link`` is None for ``with``)."""

    def deleted(self, link) -> None:
        """Called when the hook is unregistered (``link`` is None for ``with``)."""

    def forward_preprocess(self, args: _ForwardPreprocessCallbackArgs) -> None:
        """Called before ``forward`` with ``args.link``, ``args.forward_name``,
        ``args.args`` and ``args.kwargs``."""

    def forward_postprocess(self, args: _ForwardPostprocessCallbackArgs) -> None:
        """Called after ``forward`` with the preprocess fields and ``args.out``."""


def local_hooks(link) -> collections.OrderedDict:
    """``link.local_link_hooks``: the hooks of one link, made on first use."""
    hooks = link.__dict__.get('_local_link_hooks')
    if hooks is None:
        hooks = link.__dict__['_local_link_hooks'] = collections.OrderedDict()
    return hooks


def add_local_hook(link, hook: LinkHook, name: str | None) -> None:
    """``link.add_hook(hook, name)``."""
    if not isinstance(hook, LinkHook):
        raise TypeError(f'{type(link).__name__}.add_hook: hook must be a LinkHook, '
                        f'got {type(hook).__name__}')
    _registry.add_local(link, local_hooks(link), hook, name, type(link).__name__)


def track(link) -> None:
    """Note that ``link`` has local hooks (so that ``Link.__call__`` looks for them)."""
    _registry.track(link)


def delete_local_hook(link, name: str) -> None:
    """``link.delete_hook(name)``."""
    _registry.delete_local(link, link.__dict__.get('_local_link_hooks'), name,
                           type(link).__name__)


def hooks_of(link) -> list:
    """The hooks that apply to ``link`` now: this thread's, then its own."""
    return _registry.hooks_of(link.__dict__.get('_local_link_hooks'))


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
