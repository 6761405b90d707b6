"""Link, Chain and ChainList: parameters, persistent values and the link hierarchy.

A :class:`Link` owns :class:`~tracegrad.Parameter` s (optimization targets) and
persistent values (arrays or scalars that are saved with the model, such as
batch-normalization statistics). A :class:`Chain` holds named child links and a
:class:`ChainList` a list of them; both are links, so models nest into a tree
whose nodes are named by slash-separated paths (``'/encoder/l1/W'``).

The hierarchy operations (``params``, ``namedparams``, ``links``, ``copyparams``,
``serialize``, ``to_device``...) are written once on :class:`Link` in terms of
:meth:`Link._child_items`, which containers override to list their children.
"""
from __future__ import annotations

import collections.abc
import contextlib
import copy as copy_module
import warnings
from collections.abc import Iterator
from typing import Any

import numpy

from tracegrad import backend
from tracegrad.device_resident import DeviceResident
from tracegrad.variable import Parameter, _is_array

_COPY_MODES = ('init', 'copy', 'share')


def _check_copy_mode(mode: str) -> None:
    if mode not in _COPY_MODES:
        raise ValueError(f"The 'mode' argument should be either 'init', 'copy', or 'share'. "
                         f"But {mode!r} was given.")


def _shape_and_dtype(spec):
    """``Link(W=spec)``: spec is a shape (or None) or a ``(shape, dtype)`` pair."""
    if spec is None or isinstance(spec, (int, numpy.integer)):
        return spec, numpy.float32
    if isinstance(spec, (tuple, list)):
        if all(isinstance(s, (int, numpy.integer)) for s in spec):
            return spec, numpy.float32
        shape, dtype = spec
        return shape, dtype
    raise TypeError(f'Link: a parameter spec must be a shape or (shape, dtype), got {spec!r}')


class Link(DeviceResident):
    """A building block of models: parameters, persistent values, a forward pass.

    Parameters are registered by assigning :class:`~tracegrad.Parameter` objects to
    attributes inside :meth:`init_scope` (or with :meth:`add_param`); persistent
    values with :meth:`add_persistent` or :meth:`register_persistent`. Calling a
    link runs its :meth:`forward`.

    Args:
        params: initial parameters by name: a shape, or ``(shape, dtype)``
            (the parameter is NaN-filled; a shape of None leaves it uninitialized).

    >>> class Affine(tracegrad.Link):
    ...     def __init__(self, n_in, n_out):
    ...         super().__init__()
    ...         with self.init_scope():
    ...             self.W = tracegrad.Parameter(initializers.Normal(), (n_out, n_in))
    ...             self.b = tracegrad.Parameter(0, (n_out,))
    ...     def forward(self, x):
    ...         return F.linear(x, self.W, self.b)
    >>> sorted(name for name, _ in Affine(3, 2).namedparams())
    ['/W', '/b']

    Attributes:
        name: the name given by the parent chain (None for a root).
    """

    _within_init_scope = False
    _init_done = False

    def __init__(self, **params: Any) -> None:
        d = self.__dict__
        d['_params'] = set()
        d['_persistent'] = set()
        d['_within_init_scope'] = False
        d['_device'] = backend.CpuDevice()
        d['name'] = None
        d['_init_done'] = True
        for name, spec in params.items():
            shape, dtype = _shape_and_dtype(spec)
            self.add_param(name, shape, dtype=dtype)

    # -- calling --
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'{type(self).__name__} does not define forward()')

    def __setstate__(self, state: dict) -> None:  # copy.deepcopy and pickle
        self.__dict__.update(state)
        if state.get('_local_link_hooks'):  # the new link is hooked as the original was
            from tracegrad import link_hook

            link_hook.track(self)

    # -- hooks --
    @property
    def local_link_hooks(self) -> dict:
        """The :class:`~tracegrad.LinkHook` objects registered to this link, by name."""
        from tracegrad import link_hook

        return link_hook.local_hooks(self)

    def add_hook(self, hook, name: str | None = None) -> Link:
        """Register a link hook for this link only; returns the link.

        Args:
            hook (~tracegrad.LinkHook): the hook.
            name: its key among this link's hooks (default: ``hook.name``).
        """
        from tracegrad import link_hook

        link_hook.add_local_hook(self, hook, name)
        return self

    def delete_hook(self, name: str) -> None:
        """Unregister this link's hook ``name`` (KeyError if there is none)."""
        from tracegrad import link_hook

        link_hook.delete_local_hook(self, name)

    # -- registration --
    @property
    def within_init_scope(self) -> bool:
        """True inside ``with self.init_scope():``."""
        return self._within_init_scope

    @contextlib.contextmanager
    def init_scope(self) -> Iterator[None]:
        """Within this block, assigning a Parameter (or, in a Chain, a Link) to an
        attribute registers it.

        >>> link = tracegrad.Link()
        >>> with link.init_scope():
        ...     link.W = tracegrad.Parameter(0, (2, 3))
        >>> [name for name, _ in link.namedparams()]
        ['/W']
        """
        if not self._init_done:
            raise RuntimeError(f'{type(self).__name__}: Link.__init__() has not been called; '
                               f'call super().__init__() before init_scope()')
        old = self._within_init_scope
        self.__dict__['_within_init_scope'] = True
        try:
            yield
        finally:
            self.__dict__['_within_init_scope'] = old

    def __setattr__(self, name: str, value: Any) -> None:
        if self._within_init_scope and isinstance(value, Parameter):
            value.name = name
            self._params.add(name)
            self._persistent.discard(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._params.discard(name)
        self._persistent.discard(name)
        object.__delattr__(self, name)

    def add_param(self, name: str, shape=None, dtype=numpy.float32, initializer=None) -> None:
        """Register a new parameter ``name``.

        Args:
            name: the attribute name.
            shape: its shape; None leaves it uninitialized.
            dtype: its dtype when ``initializer`` is None (it is then NaN-filled).
            initializer: an initializer, array or scalar for the initial value.
        """
        if name in self.__dict__:
            raise AttributeError(f'cannot register a new parameter {name}: attribute exists')
        if initializer is None:
            from tracegrad import initializers

            initializer = initializers.NaN(dtype)
        param = Parameter(initializer, shape)
        with self.init_scope():
            setattr(self, name, param)

    def add_persistent(self, name: str, value: Any) -> None:
        """Register a new persistent value ``name`` (saved and loaded by serializers)."""
        d = self.__dict__
        if name in d:
            raise AttributeError(
                f'cannot register a new persistent value {name}: attribute exists')
        self._persistent.add(name)
        self._params.discard(name)
        d[name] = value

    def register_persistent(self, name: str) -> None:
        """Mark the existing attribute ``name`` as a persistent value."""
        if not hasattr(self, name):
            raise AttributeError(
                f'cannot register non-existent attribute {name} as a persistent value')
        self._persistent.add(name)
        self._params.discard(name)

    # -- the hierarchy --
    def _child_items(self) -> list:
        """``(name, link)`` pairs of the direct children, in path order."""
        return []

    def params(self, include_uninit: bool = True) -> Iterator[Parameter]:
        """Yield every parameter of this link and its descendants."""
        for _, param in self.namedparams(include_uninit):
            yield param

    def namedparams(self, include_uninit: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(path, parameter)`` pairs, e.g. ``('/l1/W', W)``."""
        d = self.__dict__
        for name in sorted(self._params):
            param = d[name]
            if include_uninit or param._data is not None:
                yield '/' + name, param
        for child_name, child in self._child_items():
            prefix = '/' + child_name
            for path, param in child.namedparams(include_uninit):
                yield prefix + path, param

    def links(self, skipself: bool = False) -> Iterator[Link]:
        """Yield this link (unless ``skipself``) and all its descendants."""
        for _, link in self.namedlinks(skipself):
            yield link

    def namedlinks(self, skipself: bool = False) -> Iterator[tuple[str, Link]]:
        """Yield ``(path, link)`` pairs; this link is ``'/'``."""
        if not skipself:
            yield '/', self
        for child_name, child in self._child_items():
            prefix = '/' + child_name
            yield prefix, child
            for path, link in child.namedlinks(skipself=True):
                yield prefix + path, link

    def children(self) -> Iterator[Link]:
        """Yield the direct child links."""
        for _, child in self._child_items():
            yield child

    def count_params(self) -> int:
        """The number of scalars in all initialized parameters (warns about the others)."""
        size = 0
        for path, param in self.namedparams():
            if param.array is None:
                warnings.warn(f"Parameter '{path}' has not been initialized, so the resulting "
                              f"count will not include the number of parameters in it.")
                continue
            size += param.size
        return size

    # -- gradients and update switches --
    def cleargrads(self) -> None:
        """Set every parameter's gradient to None (call before each backward pass)."""
        for param in self.params():
            param.cleargrad()

    def zerograds(self) -> None:
        """Fill every parameter's gradient with zeros (deprecated: use cleargrads)."""
        warnings.warn('Link.zerograds is deprecated. Use Link.cleargrads instead.',
                      DeprecationWarning, stacklevel=2)
        for param in self.params():
            param.zerograd()

    def addgrads(self, link: Link) -> None:
        """Add the gradients of ``link`` (same structure) to this link's gradients."""
        src = dict(link.namedparams())
        for path, param in self.namedparams():
            param.addgrad(src[path])

    def enable_update(self) -> None:
        """Enable the update rules of all parameters."""
        self._set_update_enabled(True)

    def disable_update(self) -> None:
        """Disable the update rules of all parameters (freeze the link)."""
        self._set_update_enabled(False)

    def _set_update_enabled(self, enabled: bool) -> None:
        for param in self.params():
            if param.update_rule is not None:
                param.update_rule.enabled = enabled

    @property
    def update_enabled(self) -> bool:
        """True when at least one parameter has an enabled update rule."""
        return any(param.update_rule is not None and param.update_rule.enabled
                   for param in self.params())

    # -- copying --
    def copyparams(self, link: Link, copy_persistent: bool = True) -> None:
        """Copy the parameter arrays (and persistent values) of ``link`` into this one.

        Arrays are copied element-wise, across devices; grads are not copied.
        """
        src = link.__dict__
        dst = self.__dict__
        for name in self._params:
            if dst[name].array is None and src[name].array is None:
                continue  # both uninitialized: nothing to copy
            dst[name].copydata(src[name])
        if copy_persistent:
            for name in self._persistent:
                d, s = dst[name], src[name]
                if _is_array(d) and _is_array(s):
                    backend.copyto(d, s)
                else:
                    dst[name] = copy_module.deepcopy(s)
        src_children = dict(link._child_items())
        for name, child in self._child_items():
            child.copyparams(src_children[name], copy_persistent)

    def copy(self, mode: str = 'share') -> Link:
        """Copy the hierarchy rooted at this link.

        Args:
            mode: ``'share'`` (new link objects whose parameters share arrays with
                this one; grads start as None), ``'copy'`` (a deep copy) or
                ``'init'`` (a deep copy whose parameters are re-initialized).

        The copy's :attr:`name` is None.
        """
        _check_copy_mode(mode)
        if mode == 'share':
            ret = self._shallow_copy()
        else:
            ret = copy_module.deepcopy(self)
            if mode == 'init':
                for param in ret.params(include_uninit=False):
                    param.initialize(param.shape)
        ret.__dict__['name'] = None
        return ret

    def _shallow_copy(self) -> Link:
        ret = copy_module.copy(self)
        d = ret.__dict__
        d['_params'] = set(self._params)
        d['_persistent'] = set(self._persistent)
        for name in self._params:
            param = copy_module.copy(d[name])
            param.grad = None
            d[name] = param
        if d.get('_local_link_hooks'):  # the copy is hooked as the original is, on its own
            from tracegrad import link_hook

            d['_local_link_hooks'] = collections.OrderedDict(d['_local_link_hooks'])
            link_hook.track(ret)
        return ret

    def repeat(self, n_repeat: int, mode: str = 'init'):
        """Return a :class:`~tracegrad.Sequential` of ``n_repeat`` copies of this link.

        Args:
            n_repeat: how many copies.
            mode: ``'init'`` (fresh parameters each), ``'copy'`` (same initial values,
                independent) or ``'share'`` (shared parameters).
        """
        from tracegrad.sequential import Sequential

        ret = Sequential()
        if n_repeat <= 0:
            return ret
        _check_copy_mode(mode)
        for _ in range(n_repeat):
            ret.append(self.copy(mode))
        return ret

    # -- devices --
    def to_device(self, device) -> Link:
        """Move all parameters and persistent arrays of the hierarchy to ``device``.

        Args:
            device: ``'@numpy'``, ``'@cupy:N'``, an int, or a Device.

        Returns:
            self
        """
        device = backend.get_device(device)
        for link in self.links():
            d = link.__dict__
            for name in link._params:
                d[name].to_device(device)
            for name in link._persistent:
                if _is_array(d[name]):
                    d[name] = device.send(d[name])
            link._move_state(device)
            d['_device'] = device
        return self

    def _move_state(self, device: backend.Device) -> None:
        """Move non-registered state arrays (such as an RNN's hidden state); a hook for
        subclasses."""

    # -- serialization --
    def serialize(self, serializer) -> None:
        """Save or load the parameters, persistent values and children.

        ``serializer(name, value)`` returns the (possibly loaded) value and
        ``serializer[name]`` gives the serializer of a child. An uninitialized
        parameter is initialized with the loaded array's shape.
        """
        d = self.__dict__
        for name in sorted(self._params):
            param = d[name]
            data = serializer(name, param.array)
            if param.array is None and data is not None:
                param.initialize(data.shape)
                backend.copyto(param.array, data)
        for name in sorted(self._persistent):
            d[name] = serializer(name, d[name])
        for name, child in self._child_items():
            child.serialize(serializer[name])

    # -- printing --
    @property
    def printable_specs(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` pairs shown by ``str(link)``; links override it."""
        return iter(())

    def __str__(self) -> str:
        specs = ', '.join(f'{k}={v}' for k, v in self.printable_specs)
        return f'{type(self).__name__}({specs})'


def _format_children(cls_name: str, items) -> str:
    lines = []
    for key, child in items:
        for line in f'({key}): {child},'.splitlines():
            lines.append(f'  {line}\n')
    body = ''.join(lines)
    return f'{cls_name}(\n{body})' if body else f'{cls_name}()'


class Chain(Link):
    """A link with named child links.

    Children are registered by assigning links to attributes inside
    :meth:`init_scope`, by keyword arguments, or with :meth:`add_link`. Paths of
    parameters are prefixed by the child's name: ``'/layer1/W'``.

    Args:
        links: child links by name.

    >>> class MLP(tracegrad.Chain):
    ...     def __init__(self):
    ...         super().__init__()
    ...         with self.init_scope():
    ...             self.l1 = L.Linear(4, 3)
    ...             self.l2 = L.Linear(3, 2)
    ...     def forward(self, x):
    ...         return self.l2(F.relu(self.l1(x)))
    >>> [path for path, _ in MLP().namedparams()]
    ['/l1/W', '/l1/b', '/l2/W', '/l2/b']
    """

    def __init__(self, **links: Link) -> None:
        super().__init__()
        self.__dict__['_children'] = set()
        for name, link in links.items():
            self.add_link(name, link)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._within_init_scope and isinstance(value, Link):
            if hasattr(self, name):
                raise AttributeError(f'cannot register a new link {name}: attribute exists')
            value.name = name
            self._children.add(name)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        self._children.discard(name)
        super().__delattr__(name)

    def __getitem__(self, name: str) -> Any:
        """``chain['l1']`` is ``chain.l1``."""
        return getattr(self, name)

    def add_link(self, name: str, link: Link) -> None:
        """Register ``link`` as the child ``name``."""
        if name in self.__dict__:
            raise AttributeError(f'cannot register a new link {name}: attribute exists')
        if not isinstance(link, Link):
            raise TypeError(f'cannot register a non-link object as a child: '
                            f'{type(link).__name__}')
        with self.init_scope():
            setattr(self, name, link)

    def _child_items(self) -> list:
        d = self.__dict__
        return [(name, d[name]) for name in sorted(self._children)]

    def copy(self, mode: str = 'share') -> Chain:
        _check_copy_mode(mode)
        if mode != 'share':
            return super().copy(mode)
        ret = super().copy(mode)
        d = ret.__dict__
        d['_children'] = set(self._children)
        for name in self._children:
            child = d[name].copy(mode)
            child.__dict__['name'] = name
            d[name] = child
        return ret

    def __str__(self) -> str:
        return _format_children(type(self).__name__,
                                [(c.name, c) for _, c in self._child_items()])


class ChainList(Link, collections.abc.MutableSequence):
    """A link with a list of child links, named ``'0'``, ``'1'``, ...

    It is a mutable sequence: index, slice, ``append``, ``insert``, ``pop``,
    ``del`` work as on a list (children are renamed to their new positions).

    Args:
        links: the initial children.

    >>> model = tracegrad.ChainList(L.Linear(3, 2), L.Linear(2, 2))
    >>> [path for path, _ in model.namedparams()]
    ['/0/W', '/0/b', '/1/W', '/1/b']
    """

    def __init__(self, *links: Link) -> None:
        super().__init__()
        self.__dict__['_children'] = []
        for link in links:
            self.add_link(link)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._within_init_scope and isinstance(value, Link):
            raise TypeError('cannot register a new link within a "with chainlist.init_scope():" '
                            'block; use append() or add_link()')
        super().__setattr__(name, value)

    def _rename_children(self) -> None:
        for i, child in enumerate(self._children):
            child.name = str(i)

    def _check_link(self, link) -> None:
        if not isinstance(link, Link):
            raise TypeError(f'{type(self).__name__}: a child must be a Link, '
                            f'got {type(link).__name__}')

    def __getitem__(self, index):
        return self._children[index]

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):
            value = list(value)
            for link in value:
                self._check_link(link)
        elif isinstance(index, (int, numpy.integer)):
            self._check_link(value)
        else:
            raise TypeError(f'ChainList indices must be integers or slices, '
                            f'not {type(index).__name__}')
        self._children[index] = value
        self._rename_children()

    def __delitem__(self, index) -> None:
        del self._children[index]
        self._rename_children()

    def insert(self, index: int, link: Link) -> None:
        """Insert ``link`` before position ``index``."""
        self._check_link(link)
        self._children.insert(index, link)
        self._rename_children()

    def __iter__(self):
        return iter(self._children)

    def __len__(self) -> int:
        return len(self._children)

    def add_link(self, link: Link) -> None:
        """Append ``link`` as the last child."""
        self.append(link)

    def _child_items(self) -> list:
        return [(str(i), child) for i, child in enumerate(self._children)]

    def copy(self, mode: str = 'share') -> ChainList:
        _check_copy_mode(mode)
        if mode != 'share':
            return super().copy(mode)
        ret = super().copy(mode)
        ret.__dict__['_children'] = [child.copy(mode) for child in self._children]
        ret._rename_children()
        return ret

    def __str__(self) -> str:
        return _format_children(type(self).__name__, self._child_items())
