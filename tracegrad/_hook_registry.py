"""Bookkeeping shared by function hooks and link hooks: which hooks are registered where.

A hook is registered either for the current thread (``with hook:``) or for one object
(``obj.add_hook(hook)``). The hot paths never look for hooks: a registry calls its
``on_change(True)`` when the first hook anywhere is registered, so that the caller
can put hook-calling wrappers in place, and ``on_change(False)`` when the last one
goes (or the last object with hooks dies).
"""
from __future__ import annotations

import collections
import threading
import weakref
from collections.abc import Callable


class HookRegistry:
    """The hooks of one kind: per thread, and per owner object (owners held weakly)."""

    def __init__(self, on_change: Callable[[bool], None]):
        self._on_change = on_change
        self._thread_local = threading.local()
        self._lock = threading.RLock()  # a finalizer may recount while this thread holds it
        self._n_global = 0  # hooks registered with ``with`` in all threads
        self._owners = weakref.WeakSet()  # objects with hooks of their own
        self._active = False  # what on_change was last told
        # Counts every registration and removal, in any thread or object: a cheap sign,
        # for compiled steps' guards, that the hooks in force may have changed.
        self.version = 0

    def thread_hooks(self) -> collections.OrderedDict:
        """The hooks registered in this thread with ``with hook:``, by name."""
        try:
            return self._thread_local.hooks
        except AttributeError:
            hooks = self._thread_local.hooks = collections.OrderedDict()
            return hooks

    def any_thread_hooks(self) -> bool:
        """Whether this thread has ``with`` hooks (without creating its dict)."""
        return bool(getattr(self._thread_local, 'hooks', None))

    def any_owners(self) -> bool:
        """Whether any live object has hooks of its own."""
        return next(iter(self._owners), None) is not None

    def enter(self, hook) -> None:
        """``with hook:``: register ``hook`` for this thread under ``hook.name``."""
        hooks = self.thread_hooks()
        if hook.name in hooks:
            raise KeyError(f'hook {hook.name} already exists')
        hooks[hook.name] = hook
        self._count(1)
        hook.added(None)

    def exit(self, name: str) -> None:
        """The end of ``with hook:``: unregister this thread's hook ``name``."""
        hook = self.thread_hooks().pop(name)
        self._count(-1)
        hook.deleted(None)

    def add_local(self, owner, hooks: dict, hook, name: str | None, who: str) -> None:
        """``owner.add_hook(hook, name)``, ``hooks`` being the owner's own; ``who`` names
        the owner in errors. If ``hook.added`` fails, the hook is not registered."""
        if name is None:
            name = hook.name
        if name in hooks:
            raise KeyError(f'{who}.add_hook: hook {name} already exists')
        hooks[name] = hook
        self._changed()
        self.track(owner)
        try:
            hook.added(owner)
        except BaseException:  # e.g. SpectralNormalization on a link without the weight
            del hooks[name]
            self._changed()
            if not hooks:
                self._untrack(owner)
            raise

    def delete_local(self, owner, hooks: dict | None, name: str, who: str) -> None:
        """``owner.delete_hook(name)``, ``hooks`` being the owner's own (or None)."""
        if not hooks or name not in hooks:
            raise KeyError(f'{who}.delete_hook: hook {name} does not exist')
        hook = hooks.pop(name)
        self._changed()
        if not hooks:
            self._untrack(owner)
        hook.deleted(owner)

    def track(self, owner) -> None:
        """Note that ``owner`` has hooks of its own (until it dies or loses them)."""
        self._changed()
        if owner not in self._owners:
            with self._lock:
                self._owners.add(owner)
            weakref.finalize(owner, self.refresh).atexit = False  # dies with hooks: recount
        self.refresh()

    def hooks_of(self, own: dict | None) -> list:
        """The hooks that apply to an owner whose own hooks are ``own``: this thread's,
        then its own (which replace a thread hook of the same name)."""
        hooks = getattr(self._thread_local, 'hooks', None)
        if own:
            merged = collections.OrderedDict(hooks or ())
            merged.update(own)
            return list(merged.values())
        return list(hooks.values()) if hooks else []

    def refresh(self, *_) -> None:
        """Tell ``on_change`` whether any hook is registered, when that changes."""
        with self._lock:
            wanted = self._n_global > 0 or self.any_owners()
            if wanted == self._active:
                return
            self._active = wanted
            self._on_change(wanted)

    def _count(self, delta: int) -> None:
        with self._lock:
            self._n_global += delta
            self.version += 1
        self.refresh()

    def _changed(self) -> None:
        with self._lock:
            self.version += 1

    def _untrack(self, owner) -> None:
        with self._lock:
            self._owners.discard(owner)
        self.refresh()
