"""Function hooks: callbacks around the forward and backward of every function.

A :class:`FunctionHook` is registered for the current thread with ``with hook:``,
or for one function with ``FunctionNode.add_hook``. The eager hot path
(``FunctionNode.apply`` and the backprop loop, in C or Python, see
:mod:`tracegrad._native`) never looks for hooks: while at least one is registered
anywhere, wrappers that call them are put in front of it, and taken away when the
last one goes.

Forward hooks run around ``apply`` (after the type checks, as Chainer's do).
Backward hooks run around each ``backward`` call that backprop makes; for that the
functions that have hooks get the wrapper as an instance attribute ``backward`` for
the length of the backprop loop, which the C loop and the Python loop then call.
"""
from __future__ import annotations

import collections
import functools
from typing import Self

from tracegrad import _native
from tracegrad._hook_registry import HookRegistry
from tracegrad.configuration import config
from tracegrad.function_node import _as_inputs


def _install_wrappers(wanted: bool) -> None:
    """Put the hook-calling wrappers in front of the hot path while any hook exists."""
    _native.set_hook_wrappers(
        {'apply': _apply_with_hooks, 'loop': _loop_with_hooks} if wanted else {})


# owners: functions (FunctionNode or old-style Function) with hooks of their own
_registry = HookRegistry(_install_wrappers)


def get_function_hooks() -> collections.OrderedDict:
    """The function hooks registered in this thread with ``with hook:``, by name."""
    return _registry.thread_hooks()


class FunctionHook:
    """Base class of callbacks called before and after each function's forward and backward.

    Override any of :meth:`added`, :meth:`deleted`, :meth:`forward_preprocess`,
    :meth:`forward_postprocess`, :meth:`backward_preprocess` and
    :meth:`backward_postprocess`; by default they do nothing.

    A hook is registered either for every function called in this thread inside
    ``with hook:`` (``added``/``deleted`` then get ``None``), or for one function
    with ``function.add_hook(hook)`` (they get that function). Hooks of a thread
    are kept per thread, as in Chainer.

    >>> class Names(tracegrad.FunctionHook):
    ...     name = 'Names'
    ...     def __init__(self):
    ...         self.seen = []
    ...     def forward_preprocess(self, function, in_data):
    ...         self.seen.append(function.label)
    >>> x = tracegrad.Variable(np.ones(3, np.float32))
    >>> with Names() as hook:
    ...     y = F.sum(F.exp(x))
    >>> hook.seen
    ['Exp', 'Sum']

    Attributes:
        name (str): the key of the hook among the registered ones.
    """

    name = 'FunctionHook'

    def __enter__(self) -> Self:
        _registry.enter(self)
        return self

    def __exit__(self, *exc) -> None:
        _registry.exit(self.name)

    def added(self, function) -> None:
        """Called when the hook is registered (``function`` is None for ``with``)."""

    def deleted(self, function) -> None:
        """Called when the hook is unregistered (``function`` is None for ``with``)."""

    def forward_preprocess(self, function, in_data: tuple) -> None:
        """Called before ``function``'s forward with its input arrays."""

    def forward_postprocess(self, function, in_data: tuple) -> None:
        """Called after ``function``'s forward with its input arrays."""

    def backward_preprocess(self, function, in_data: tuple, out_grad: tuple) -> None:
        """Called before ``function``'s backward.

        Args:
            function: the function.
            in_data: its input arrays (None for an input whose array is gone:
                neither retained nor held by a live Variable).
            out_grad: the gradient arrays of its outputs (None where there is none).
        """

    def backward_postprocess(self, function, in_data: tuple, out_grad: tuple) -> None:
        """Called after ``function``'s backward, with the arguments of ``backward_preprocess``."""


# -- registration --------------------------------------------------------------------

def local_hooks(owner) -> collections.OrderedDict:
    """``owner.local_function_hooks``: the hooks of one function, made on first use."""
    hooks = owner._local_function_hooks
    if hooks is None:
        hooks = owner._local_function_hooks = collections.OrderedDict()
    return hooks


def add_local_hook(owner, hook: FunctionHook, name: str | None) -> None:
    """``owner.add_hook(hook, name)`` of a FunctionNode or an old-style Function."""
    if not isinstance(hook, FunctionHook):
        raise TypeError(f'{owner.label}.add_hook: hook must be a FunctionHook, '
                        f'got {type(hook).__name__}')
    _registry.add_local(owner, local_hooks(owner), hook, name, owner.label)


def delete_local_hook(owner, name: str) -> None:
    """``owner.delete_hook(name)`` of a FunctionNode or an old-style Function."""
    _registry.delete_local(owner, owner._local_function_hooks, name, owner.label)


def _hooks_of(func) -> list:
    """The hooks that apply to ``func`` now: this thread's, then its own."""
    return _registry.hooks_of(func._local_function_hooks)


# -- the wrappers (installed only while hooks exist) ----------------------------------

def _apply_with_hooks(self, inputs) -> tuple:
    """FunctionNode.apply with this function's hooks called around it."""
    apply = _native.active['apply']
    hooks = _hooks_of(self)
    if not hooks:
        return apply(self, inputs)
    inputs = _as_inputs(self, inputs)
    in_data = tuple([x._data for x in inputs])
    if config.type_check:
        self._check_inputs(in_data)  # first, as in Chainer; apply then finds it cached
    for hook in hooks:
        hook.forward_preprocess(self, in_data)
    outputs = apply(self, inputs)
    for hook in hooks:
        hook.forward_postprocess(self, in_data)
    return outputs


def _loop_with_hooks(heap, seen, leaves, grads, wanted, found, retain_grad,
                     enable_double_backprop) -> None:
    """The backprop loop, with the backward of each hooked function wrapped."""
    patched = []
    if _registry.any_owners() or _registry.any_thread_hooks():
        for func in _functions_from([entry[2] for entry in heap]):
            hooks = _hooks_of(func)
            if hooks:
                # An instance attribute hides the class's method from both loops.
                func.backward = functools.partial(_backward_with_hooks, func, hooks)
                patched.append(func)
    try:
        _native.active['loop'](heap, seen, leaves, grads, wanted, found, retain_grad,
                               enable_double_backprop)
    finally:
        for func in patched:
            del func.backward


def _functions_from(funcs: list):
    """Each function reachable backwards from ``funcs``, once."""
    seen = set(funcs)
    stack = list(funcs)
    while stack:
        func = stack.pop()
        yield func
        for x in func.inputs or ():
            creator = x.creator_node
            if creator is not None and creator not in seen:
                seen.add(creator)
                stack.append(creator)


def _input_array(node):
    """An input's array for backward hooks: retained, or its Variable's if still alive."""
    if node.data is not None:
        return node.data
    var = node.get_variable_or_none()
    return None if var is None else var.array


def _backward_with_hooks(func, hooks: list, target_input_indexes, grad_outputs):
    in_data = tuple([_input_array(x) for x in func.inputs])
    out_grad = tuple([None if g is None else g.array for g in grad_outputs])
    for hook in hooks:
        hook.backward_preprocess(func, in_data, out_grad)
    gxs = type(func).backward(func, target_input_indexes, grad_outputs)
    for hook in hooks:
        hook.backward_postprocess(func, in_data, out_grad)
    return gxs
