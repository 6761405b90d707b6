"""Optimizers: the base classes that update a link's parameters.

An :class:`Optimizer` is set up on a link. A :class:`GradientMethod` gives each
parameter an :class:`UpdateRule`; the rule's :class:`Hyperparameter` falls back to
the optimizer's, so ``opt.lr = 0.1`` reaches every rule that did not override it.

Update rules are written once against the array namespace ``xp`` of the
parameter: they change ``param.array`` and their state arrays in place and
compute step-dependent coefficients (Adam's bias corrections) with arithmetic
and ``xp`` functions. The same code then runs on NumPy, CuPy and, while a step is
being compiled, on tracer arrays (where ``t`` and the hyperparameters are 0-d
arrays rather than Python numbers).
"""
from __future__ import annotations

import copy
import math
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy

from tracegrad import backend
from tracegrad.variable import _is_array

_TIMINGS = ('pre', 'post', 'auto')


def scalar_like(value: Any, dtype) -> Any:
    """Return a Python/NumPy scalar ``value`` as a scalar of ``dtype``.

    NumPy promotes a float32 array combined with a ``numpy.float64`` scalar to
    float64; coefficients made from hyperparameters are cast with this function
    so that float32 parameters stay float32. Anything else (a 0-d array, a
    tracer's scalar while compiling) is returned unchanged.

    >>> from tracegrad.optimizer import scalar_like
    >>> scalar_like(0.1, np.dtype(np.float32)).dtype
    dtype('float32')
    """
    if isinstance(value, (int, float, numpy.generic)):
        return numpy.dtype(dtype).type(value)
    return value


def check_eps(optimizer_name: str, eps: Any, dtype) -> None:
    """Raise ValueError when a nonzero ``eps`` becomes zero in ``dtype``."""
    if isinstance(eps, (int, float, numpy.generic)) and eps != 0 and \
            numpy.dtype(dtype).type(eps) == 0:
        raise ValueError(f'eps of {optimizer_name} optimizer is too small for '
                         f'{numpy.dtype(dtype).name} ({eps})')


class _Hookable:
    """Named hooks in registration order, run before ('pre') or after ('post') updates."""

    def __init__(self, invalid_timing_fallback: bool = False):
        self.pre_hooks: OrderedDict = OrderedDict()
        self.post_hooks: OrderedDict = OrderedDict()
        self._invalid_timing_fallback = invalid_timing_fallback

    def add_hook(self, hook: Callable, name: str | None, timing: str) -> None:
        if not callable(hook):
            raise TypeError(f'add_hook: the hook must be callable, got {type(hook).__name__}')
        if timing not in _TIMINGS:
            raise ValueError(f"add_hook: timing must be one of {_TIMINGS}, got {timing!r}")
        if timing == 'auto':
            timing = getattr(hook, 'timing', 'pre')
            if timing not in ('pre', 'post'):
                if not self._invalid_timing_fallback:
                    raise ValueError(f"add_hook: the hook's timing attribute must be 'pre' or "
                                     f"'post', got {timing!r}")
                warnings.warn(f"add_hook: the hook's timing attribute {timing!r} is neither "
                              f"'pre' nor 'post'; using 'pre'", stacklevel=3)
                timing = 'pre'
        if name is None:
            name = getattr(hook, 'name', getattr(hook, '__name__', None))
            if name is None:
                raise ValueError('add_hook: the hook has no name attribute; pass name=')
        if name in self.pre_hooks or name in self.post_hooks:
            raise KeyError(f'add_hook: a hook named "{name}" already exists')
        (self.pre_hooks if timing == 'pre' else self.post_hooks)[name] = hook

    def remove_hook(self, name: str) -> None:
        for hooks in (self.pre_hooks, self.post_hooks):
            if name in hooks:
                del hooks[name]
                return
        raise KeyError(f'remove_hook: no hook named "{name}"')

    def hooks(self, timing: str) -> OrderedDict:
        if timing == 'pre':
            return self.pre_hooks
        if timing == 'post':
            return self.post_hooks
        raise ValueError(f"call_hooks: timing must be 'pre' or 'post', got {timing!r}")


class Hyperparameter:
    """A set of hyperparameters that falls back to a parent set.

    Reading an attribute this object does not have reads the parent's, so an
    update rule's hyperparameter follows its optimizer's unless it was set on
    the rule itself.

    Args:
        parent: the Hyperparameter to fall back to (or None).
        entries: initial entries, e.g. ``lr=0.01``.

    >>> from tracegrad.optimizer import Hyperparameter
    >>> base = Hyperparameter(); base.lr = 0.1
    >>> rule_hp = Hyperparameter(base)
    >>> rule_hp.lr
    0.1
    >>> base.lr = 0.05; rule_hp.lr
    0.05
    """

    def __init__(self, parent: Hyperparameter | None = None, **entries):
        self._parent = parent
        self.__dict__.update(entries)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: ask the parent.
        if name.startswith('__') or '_parent' not in self.__dict__:
            raise AttributeError(name)
        parent = self.__dict__['_parent']
        if parent is None:
            raise AttributeError(f'Hyperparameter has no entry {name!r}')
        return getattr(parent, name)

    def __repr__(self) -> str:
        entries = self.get_dict()
        return 'Hyperparameter(' + ', '.join(f'{k}={entries[k]}' for k in sorted(entries)) + ')'

    @property
    def parent(self) -> Hyperparameter | None:
        """The hyperparameter this one falls back to."""
        return self._parent

    def get_dict(self) -> dict:
        """All entries visible from this object (its own override the parent's)."""
        entries = {} if self._parent is None else self._parent.get_dict()
        entries.update((k, v) for k, v in self.__dict__.items() if k != '_parent')
        return entries


class HyperparameterProxy:
    """A property of an optimizer that reads and writes ``self.hyperparam.<name>``."""

    def __init__(self, attr_name: str):
        self._attr_name = attr_name
        self.__doc__ = f'Alias to ``self.hyperparam.{attr_name}``'

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return getattr(obj.hyperparam, self._attr_name)

    def __set__(self, obj, value) -> None:
        setattr(obj.hyperparam, self._attr_name, value)


class UpdateRule:
    """How one parameter is updated from its gradient.

    A subclass implements :meth:`update_core` (or, as in Chainer,
    ``update_core_cpu`` and ``update_core_gpu``) and, when it keeps per-parameter
    arrays such as moments, :meth:`init_state`. The state is created at the first
    update, on the parameter's device.

    Args:
        parent_hyperparam: the Hyperparameter this rule's falls back to.

    Attributes:
        enabled (bool): when False, :meth:`update` leaves the parameter alone.
        hyperparam (Hyperparameter): this rule's hyperparameters.
        t (int): the number of updates made by this rule.
    """

    is_elementwise = False

    def __init__(self, parent_hyperparam: Hyperparameter | None = None):
        self._state: dict | None = None
        self.enabled = True
        self.hyperparam = Hyperparameter(parent_hyperparam)
        self.t = 0
        self._hookable = _Hookable()

    @property
    def state(self) -> dict | None:
        """The state dictionary (None before the first update)."""
        return self._state

    def _override_hyperparams(self, **values) -> None:
        """Set the given hyperparameters on this rule, skipping those that are None."""
        for name, value in values.items():
            if value is not None:
                setattr(self.hyperparam, name, value)

    def add_hook(self, hook: Callable, name: str | None = None, timing: str = 'auto') -> None:
        """Register ``hook(rule, param)`` to run before ('pre') or after ('post') each update.

        With ``timing='auto'`` the hook's ``timing`` attribute decides (default 'pre').
        """
        self._hookable.add_hook(hook, name, timing)

    def remove_hook(self, name: str) -> None:
        """Remove the hook registered as ``name``."""
        self._hookable.remove_hook(name)

    def update(self, param) -> None:
        """Update ``param`` from its gradient, running this rule's hooks around it.

        Gradients of a loss backpropagated with ``loss_scale`` are divided by
        that scale first.
        """
        if not self.enabled:
            return
        self.t += 1
        if param.array is not None:
            self._prepare_state(param)
            loss_scale, grad_var = param._loss_scale, param.grad_var
            if loss_scale is not None and grad_var is not None:
                grad_var.array = grad_var.array / scalar_like(loss_scale, grad_var.array.dtype)
        hookable = self._hookable
        for hook in hookable.pre_hooks.values():
            hook(self, param)
        self.update_core(param)
        for hook in hookable.post_hooks.values():
            hook(self, param)

    def _prepare_state(self, param) -> None:
        state = self._state
        if state is None:
            state = self._state = {}
            self.init_state(param)
        array_type = type(param.array)
        for key, value in state.items():
            # State loaded from a file or made on another device follows the parameter.
            if type(value) is not array_type and _is_array(value):
                state[key] = param.device.send(value)

    def init_state(self, param) -> None:
        """Create the state arrays in ``self.state`` (called at the first update)."""

    def update_core(self, param) -> None:
        """Update ``param.array`` in place from ``param.grad``.

        The default calls ``update_core_cpu`` or ``update_core_gpu`` (Chainer's
        split) by the parameter's array module; built-in rules override this
        method with a single ``xp`` implementation.
        """
        if backend.get_array_module(param.array) is numpy:
            self.update_core_cpu(param)
        else:
            self.update_core_gpu(param)

    def update_core_cpu(self, param) -> None:
        raise NotImplementedError(f'{type(self).__name__} implements neither update_core nor '
                                  f'update_core_cpu')

    def update_core_gpu(self, param) -> None:
        raise NotImplementedError(f'{type(self).__name__} implements neither update_core nor '
                                  f'update_core_gpu')

    def _state_keys(self) -> list:
        """The names of the state entries :meth:`init_state` creates."""
        from tracegrad.variable import Variable

        probe = copy.copy(self)
        probe._state = {}
        dummy = numpy.zeros(1, numpy.float32)
        probe.init_state(Variable(dummy, grad=dummy))
        return list(probe._state)

    def serialize(self, serializer) -> None:
        """Save or load ``t`` and the state (not the parameter itself).

        A rule that has not updated yet has no state: when loading, its state
        is read from the file if the file has it, else it stays None and is
        created at the first update.
        """
        from tracegrad.serializer import Deserializer

        self.t = serializer('t', self.t)
        if self._state is not None:
            for key in self._state:
                self._state[key] = serializer(key, self._state[key])
            return
        if not isinstance(serializer, Deserializer):
            return
        loaded = {}
        for key in self._state_keys():
            try:
                value = serializer(key, None)
            except KeyError:
                if self.enabled:
                    raise
                value = None
            if value is None:
                return
            loaded[key] = value
        self._state = loaded


class Optimizer:
    """Base class of optimizers: updates the parameters of a target link.

    Attributes:
        target: the link set by :meth:`setup`.
        t (int): the number of updates so far.
        epoch (int): the epoch count, advanced by :meth:`new_epoch`.
        use_auto_new_epoch (bool): set by an updater that calls ``new_epoch(auto=True)``.
    """

    target = None
    t = 0
    epoch = 0
    use_auto_new_epoch = False
    _hookable: _Hookable | None = None
    _loss_scale: float | None = None
    _loss_scale_max = 65504  # the largest float16
    _loss_scaling_is_dynamic = False
    _loss_scaling_isnan = False

    def setup(self, link) -> Optimizer:
        """Make ``link`` the target (discarding earlier state) and return this optimizer.

        >>> model = L.Linear(3, 2)
        >>> optimizer = optimizers.SGD(lr=0.1).setup(model)
        >>> optimizer.target is model
        True
        """
        from tracegrad.link import Link

        if not isinstance(link, Link):
            raise TypeError(f'{type(self).__name__}.setup: the target must be a Link, '
                            f'got {type(link).__name__}')
        self.target = link
        self.t = 0
        self.epoch = 0
        self._hookable = _Hookable(invalid_timing_fallback=True)
        return self

    def update(self, lossfun: Callable | None = None, *args, **kwds) -> None:
        """Update the parameters (from ``lossfun(*args, **kwds)`` or the grads already there)."""
        raise NotImplementedError

    def new_epoch(self, auto: bool = False) -> None:
        """Advance :attr:`epoch`.

        Args:
            auto: True when an updater calls it (it must have set
                :attr:`use_auto_new_epoch`).
        """
        if auto and not self.use_auto_new_epoch:
            raise RuntimeError('new_epoch(auto=True) was called, but use_auto_new_epoch is '
                               'False: the updater must set optimizer.use_auto_new_epoch = True')
        if not auto and self.use_auto_new_epoch:
            raise RuntimeError('new_epoch() was called while an updater advances epochs '
                               '(use_auto_new_epoch is True); stop calling it yourself or pass '
                               'auto_new_epoch=False to the updater')
        self.epoch += 1

    def _check_set_up(self) -> _Hookable:
        if self._hookable is None:
            raise RuntimeError(f'{type(self).__name__} is not set up: call setup(link) first')
        return self._hookable

    def add_hook(self, hook: Callable, name: str | None = None, timing: str = 'auto') -> None:
        """Register an optimizer hook.

        A hook whose ``call_for_each_param`` is true is called as
        ``hook(param.update_rule, param)`` for every parameter; any other as
        ``hook(optimizer)``.

        Args:
            hook: the callable.
            name: its registration name (default ``hook.name``).
            timing: 'pre' (before the update), 'post' (after) or 'auto' (the
                hook's ``timing`` attribute, default 'pre').
        """
        self._check_set_up().add_hook(hook, name, timing)

    def remove_hook(self, name: str) -> None:
        """Remove the hook registered as ``name``."""
        self._check_set_up().remove_hook(name)

    def call_hooks(self, timing: str = 'pre') -> None:
        """Call the hooks of ``timing`` in registration order."""
        for hook in self._check_set_up().hooks(timing).values():
            self.call_hook(hook)

    def call_hook(self, hook: Callable) -> None:
        if getattr(hook, 'call_for_each_param', False):
            for param in self.target.params():
                hook(param.update_rule, param)
        else:
            hook(self)

    def serialize(self, serializer) -> None:
        """Save or load ``t``, ``epoch`` and every update rule's state (not the parameters)."""
        self.t = serializer('t', self.t)
        self.epoch = serializer('epoch', self.epoch)
        for name, param in self.target.namedparams():
            rule = getattr(param, 'update_rule', None)
            if rule is not None:
                rule.serialize(serializer[name])

    # -- loss scaling (for float16 training) --
    def loss_scaling(self, interval: int = 1000, scale: float | None = None) -> None:
        """Scale the loss before backprop (grads are divided back before the update).

        Args:
            interval: with dynamic scaling, the number of good steps over which the
                scale doubles.
            scale: a fixed scale; None chooses dynamic scaling (halved on a
                non-finite gradient, grown otherwise).
        """
        if scale is None:
            if interval < 1:
                raise ValueError(f'loss_scaling: interval must be >= 1, got {interval}')
            self._loss_scaling_is_dynamic = True
            self._loss_scale = 1.0
            self._loss_scaling_multiplier = math.pow(2.0, 1.0 / interval)
            self._loss_scaling_isnan_ever = False
        else:
            if scale <= 0:
                raise ValueError(f'loss_scaling: scale must be positive, got {scale}')
            self._loss_scaling_is_dynamic = False
            self._loss_scale = scale

    def set_loss_scale(self, loss_scale: float) -> None:
        """Use a fixed loss scale."""
        self.loss_scaling(scale=loss_scale)

    def check_nan_in_grads(self) -> None:
        """With dynamic loss scaling, note whether any gradient is not finite."""
        self._loss_scaling_isnan = False
        if not self._loss_scaling_is_dynamic:
            return
        for name, param in self.target.namedparams():
            grad = param.grad
            if grad is None:
                continue
            xp = backend.get_array_module(grad)
            if not bool(xp.all(xp.isfinite(grad))):
                self._loss_scaling_isnan = True
                self._loss_scaling_isnan_ever = True
                warnings.warn(f'non-finite gradient in {name} (iteration {self.t}, '
                              f'loss scale {self._loss_scale}); skipping this update',
                              stacklevel=3)

    def is_safe_to_update(self) -> bool:
        return not self._loss_scaling_isnan

    def update_loss_scale(self) -> None:
        if not self._loss_scaling_is_dynamic:
            return
        if self._loss_scaling_isnan:
            multiplier = 0.5
        elif self._loss_scaling_isnan_ever:
            multiplier = self._loss_scaling_multiplier
        else:
            multiplier = 2.0
        self._loss_scale = max(1, min(self._loss_scale_max, self._loss_scale * multiplier))


class GradientMethod(Optimizer):
    """Base class of first-order optimizers, with one :class:`UpdateRule` per parameter.

    A subclass sets its defaults on :attr:`hyperparam`, exposes them with
    :class:`HyperparameterProxy` and implements :meth:`create_update_rule`.

    Args:
        hyperparams: the initial entries of :attr:`hyperparam`.

    Attributes:
        hyperparam (Hyperparameter): the defaults of every update rule.
    """

    def __init__(self, **hyperparams):
        self.hyperparam = Hyperparameter(**hyperparams)

    def setup(self, link) -> GradientMethod:
        super().setup(link)
        for param in link.params():
            param.update_rule = self.create_update_rule()
        return self

    def create_update_rule(self) -> UpdateRule:
        """Return a new update rule for one parameter."""
        raise NotImplementedError

    def reallocate_cleared_grads(self) -> None:
        """Give every initialized parameter without a gradient a zero gradient."""
        for param in self.target.params(include_uninit=False):
            if param.grad_var is None:
                param.zerograd()

    def update(self, lossfun: Callable | None = None, *args, **kwds) -> None:
        """Update every parameter with its rule.

        With ``lossfun``, first clear the grads, compute ``loss = lossfun(*args,
        **kwds)`` and backpropagate it; otherwise use the grads already computed.
        """
        if lossfun is not None:
            loss = lossfun(*args, **kwds)
            self.target.cleargrads()
            loss.backward(loss_scale=self._loss_scale)
            del loss
        self.reallocate_cleared_grads()
        self.check_nan_in_grads()
        self.call_hooks('pre')
        self.t += 1
        if self.is_safe_to_update():
            for param in self.target.params():
                param.update()
        self.reallocate_cleared_grads()
        self.call_hooks('post')
        self.update_loss_scale()


_DEPRECATED_HOOKS = ('WeightDecay', 'Lasso', 'GradientClipping', 'GradientNoise',
                     'GradientHardClipping')
_deprecated_aliases: dict = {}


def __getattr__(name: str):
    """Chainer v7 still offers the hooks as ``chainer.optimizer.WeightDecay`` etc., deprecated."""
    if name not in _DEPRECATED_HOOKS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    if name not in _deprecated_aliases:
        import warnings

        from tracegrad import optimizer_hooks

        base = getattr(optimizer_hooks, name)

        def __init__(self, *args, **kwargs):
            warnings.warn(f'tracegrad.optimizer.{name} is deprecated; use '
                          f'tracegrad.optimizer_hooks.{name}', DeprecationWarning, stacklevel=2)
            base.__init__(self, *args, **kwargs)

        _deprecated_aliases[name] = type(name, (base,), {'__init__': __init__,
                                                         '__module__': __name__})
    return _deprecated_aliases[name]
