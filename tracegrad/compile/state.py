"""The state a compiled step reads and writes: discovery, slots and swapping.

A *slot* is one place in Python objects that holds a value the step may read
or update: a parameter's array or grad, a link's persistent array, an update
rule's state array, a hyperparameter, a step counter. While tracing, each slot
holds a tracer input; afterwards the real values are put back and, for each
slot the trace changed, the graph has an output that is written back after
every compiled call.
"""
from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy

from tracegrad.backend import DEVICE_ARRAY_TYPES
from tracegrad.variable import Variable


class Slot:
    """A get/set pair on a Python object, with a stable name and a kind."""

    __slots__ = ('get', 'kind', 'name', 'set')

    def __init__(self, name: str, kind: str, get: Callable[[], Any], set: Callable[[Any], None]):
        self.name = name
        # array (updated in place) | grad | hyper | counter | attr (a Variable attribute)
        # | attr_array (a plain array attribute, rebound)
        self.kind = kind
        self.get = get
        self.set = set


def discover(fn: Callable, explicit: Iterable = ()) -> tuple[list, list]:
    """Links and optimizers that ``fn`` can reach through closures, globals, defaults, self."""
    from tracegrad.link import Link
    from tracegrad.optimizer import Optimizer

    found: dict = {}

    def visit(obj: Any, depth: int = 0) -> None:
        if isinstance(obj, (Link, Optimizer)):
            found.setdefault(id(obj), obj)
            if isinstance(obj, Optimizer) and getattr(obj, 'target', None) is not None:
                found.setdefault(id(obj.target), obj.target)
        elif depth == 0 and isinstance(obj, (list, tuple)):
            for item in obj:
                visit(item, 1)
        elif depth == 0 and isinstance(obj, dict):
            for item in obj.values():
                visit(item, 1)
        elif depth == 0 and hasattr(obj, '__dict__') and not isinstance(
                obj, (types.ModuleType, type, types.FunctionType)):
            for item in list(vars(obj).values()):  # e.g. an updater holding model and optimizer
                visit(item, 1)

    for obj in explicit:
        visit(obj)
    target = fn
    if isinstance(fn, types.MethodType):
        visit(fn.__self__)
        target = fn.__func__
    if isinstance(target, types.FunctionType):
        for cell in target.__closure__ or ():
            try:
                visit(cell.cell_contents)
            except ValueError:  # empty cell
                pass
        for value in target.__defaults__ or ():
            visit(value)
        names = set()
        stack = [target.__code__]
        while stack:
            code = stack.pop()
            names.update(code.co_names)
            stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        for name in names:
            if name in target.__globals__:
                visit(target.__globals__[name])
    elif isinstance(fn, Link):
        visit(fn)
    links = [o for o in found.values() if isinstance(o, Link)]
    optimizers = [o for o in found.values() if isinstance(o, Optimizer)]
    return _roots(links), optimizers


def _roots(links: list) -> list:
    """Drop links that are children of other found links."""
    children = set()
    for link in links:
        for sub in link.links(skipself=True):
            children.add(id(sub))
    return [link for link in links if id(link) not in children]


def _set_grad(param, value) -> None:
    param._grad_var = None if value is None else Variable(value, requires_grad=False)


def _array_slot(name: str, obj: Any, attr: str, kind: str = 'array') -> Slot:
    return Slot(name, kind, lambda: getattr(obj, attr), lambda v: setattr(obj, attr, v))


def _param_slots(prefix: str, param) -> list:
    def set_data(v, p=param):
        p._data = v
        node = p._node_
        if node is not None and node.data is not None:
            node.data = v

    return [Slot(f'{prefix}', 'array', lambda p=param: p._data, set_data),
            Slot(f'{prefix}:grad', 'grad', lambda p=param: p.grad,
                 lambda v, p=param: _set_grad(p, v))]


def collect_slots(links: list, optimizers: list) -> list:
    """Every slot of the given links and optimizers, in a deterministic order."""
    slots: list = []
    seen_params: dict = {}
    for li, root in enumerate(links):
        for lpath, link in root.namedlinks():
            for name in sorted(link._params):
                param = getattr(link, name)
                if id(param) in seen_params or param.array is None:
                    continue
                seen_params[id(param)] = f'link{li}{lpath}/{name}'
                slots.extend(_param_slots(seen_params[id(param)], param))
            for name in sorted(link._persistent):
                if _is_traceable_array(getattr(link, name, None)):
                    slots.append(_array_slot(f'link{li}{lpath}/{name}', link, name))
    for oi, opt in enumerate(optimizers):
        prefix = f'opt{oi}'
        slots.extend(_hyper_slots(prefix, opt.hyperparam))
        slots.append(Slot(f'{prefix}/t', 'counter', lambda o=opt: o.t,
                          lambda v, o=opt: setattr(o, 't', v)))
        target = getattr(opt, 'target', None)
        if target is None:
            continue
        for path, param in target.namedparams(include_uninit=False):
            rule = getattr(param, 'update_rule', None)
            if rule is None:
                continue
            pname = f'{prefix}{path}'
            slots.extend(_hyper_slots(pname, rule.hyperparam, own_only=True))
            slots.append(Slot(f'{pname}/t', 'counter', lambda r=rule: r.t,
                              lambda v, r=rule: setattr(r, 't', v)))
            for key in sorted(rule.state or {}):
                slots.append(Slot(f'{pname}/{key}', 'array',
                                  lambda r=rule, k=key: r.state[k],
                                  lambda v, r=rule, k=key: r.state.__setitem__(k, v)))
    return slots


def _plain_attrs(obj) -> dict:
    """Public attributes of a link/optimizer that hold a non-parameter Variable or an array."""
    from tracegrad.variable import Parameter

    managed = set(getattr(obj, '_params', ())) | set(getattr(obj, '_persistent', ())) | set(
        getattr(obj, '_children', ()))
    out = {}
    for key, value in vars(obj).items():
        if key.startswith('_') or key in managed:
            continue
        if isinstance(value, Variable) and not isinstance(value, Parameter):
            if value.array is not None:
                out[key] = value
        elif _is_traceable_array(value):
            out[key] = value
    return out


def attribute_objects(links: list, optimizers: list) -> list:
    """(path, object) for every link and optimizer whose attributes may hold step results."""
    objs = []
    for li, root in enumerate(links):
        for lpath, link in root.namedlinks():
            objs.append((f'link{li}{lpath}', link))
    for oi, opt in enumerate(optimizers):
        objs.append((f'opt{oi}', opt))
    return objs


def attribute_slot(path: str, obj, key: str) -> Slot:
    """A slot for ``obj.key`` holding a Variable (results such as Classifier.loss, RNN state)."""
    def get():
        value = getattr(obj, key, None)
        return value.array if isinstance(value, Variable) else value

    def set_(value):
        setattr(obj, key, None if value is None else Variable(value, requires_grad=False))

    return Slot(f'{path}.{key}', 'attr', get, set_)


def attribute_slots(links: list, optimizers: list) -> list:
    slots = []
    for path, obj in attribute_objects(links, optimizers):
        for key in sorted(_plain_attrs(obj)):
            if isinstance(getattr(obj, key), Variable):
                slots.append(attribute_slot(path, obj, key))
            else:
                slots.append(_array_slot(f'{path}.{key}', obj, key, 'attr_array'))
    return slots


def _hyper_slots(prefix: str, hp, own_only: bool = False) -> list:
    entries = {k: v for k, v in vars(hp).items() if not k.startswith('_')}
    slots = []
    for key in sorted(entries):
        value = entries[key]
        if isinstance(value, bool) or not isinstance(value, (int, float, numpy.floating)):
            continue  # flags such as amsgrad decide the trace; guarded by value
        slots.append(Slot(f'{prefix}/hp/{key}', 'hyper',
                          lambda h=hp, k=key: getattr(h, k),
                          lambda v, h=hp, k=key: setattr(h, k, v)))
    return slots


def _is_traceable_array(value: Any) -> bool:
    return isinstance(value, DEVICE_ARRAY_TYPES) and value.dtype.kind in 'biuf'


def prepare_optimizer_state(optimizers: list) -> None:
    """Create update-rule state now (as the first eager update would), so it can be traced."""
    for opt in optimizers:
        target = getattr(opt, 'target', None)
        if target is None:
            continue
        for param in target.params(include_uninit=False):
            rule = getattr(param, 'update_rule', None)
            if rule is not None and rule.enabled and rule.state is None:
                rule._prepare_state(param)


def uninitialized_params(links: list) -> list:
    return [path for root in links for path, p in root.namedparams() if p.array is None]


def guard_key(links: list, optimizers: list) -> tuple:
    """What a specialisation depends on besides the inputs: identities, shapes, flags."""
    from tracegrad.configuration import config

    parts: list = [bool(config.train), bool(config.enable_backprop), _link_hooks_key()]
    for root in links:
        parts.append(id(root))
        for path, param in root.namedparams():
            arr = param.array
            parts.append((path, id(param), None if arr is None else (arr.shape, arr.dtype.str),
                          param.grad is None, getattr(param, 'update_rule', None) is None))
        for lpath, link in root.namedlinks():
            parts.append((lpath, _link_hooks_key(link)))
            for name in sorted(link._persistent):
                value = getattr(link, name, None)
                if _is_traceable_array(value):
                    parts.append((lpath, name, value.shape, value.dtype.str))
                elif isinstance(value, (int, float, bool, str, type(None))):
                    parts.append((lpath, name, value))
    # Attributes holding arrays (RNN state, last results): presence here; the shapes of
    # those a graph reads are checked by the specialisation itself.
    for path, obj in attribute_objects(links, optimizers):
        for key, value in sorted(_plain_attrs(obj).items()):
            parts.append((path, key, type(value).__name__))
    for opt in optimizers:
        # a fixed loss scale is baked into the graph
        parts.append((id(opt), 'loss_scale', getattr(opt, '_loss_scale', None),
                      getattr(opt, '_loss_scaling_is_dynamic', False)))
        parts.append((id(opt), type(opt).__name__, tuple(sorted(
            (k, v if isinstance(v, (bool, str, type(None))) else type(v).__name__)
            for k, v in opt.hyperparam.get_dict().items()))))
        for timing in ('pre', 'post'):
            hooks = getattr(opt, '_hookable', None)
            if hooks is not None:
                parts.append(tuple((name, type(h).__name__, tuple(sorted(
                    (k, v) for k, v in vars(h).items() if isinstance(v, (int, float, bool, str)))))
                    for name, h in hooks.hooks(timing).items()))
        target = getattr(opt, 'target', None)
        if target is not None:
            for path, param in target.namedparams(include_uninit=False):
                rule = param.update_rule
                if rule is not None:
                    parts.append((path, rule.enabled, tuple(sorted(rule.state or {})),
                                  tuple(sorted(k for k in vars(rule.hyperparam)
                                               if not k.startswith('_')))))
    return tuple(parts)


def _link_hooks_key(link=None) -> tuple:
    """The link hooks of this thread (or of ``link``): they run, and are traced, in the step."""
    from tracegrad.link_hook import get_link_hooks

    hooks = get_link_hooks() if link is None else link.__dict__.get('_local_link_hooks') or {}
    return tuple((name, id(hook)) for name, hook in hooks.items())


class FastGuard:
    """A cheap re-check of everything :func:`guard_key` (and discovery) looked at.

    ``guard_key`` walks the whole model and optimizer state, which costs more
    than a small compiled step. After a call, a FastGuard records identities,
    counts and flags of the same objects as a flat list of checks; while they
    all hold, the previous guard key (and so the previous specialisation) still
    applies. Anything that changes shapes, the model's structure, the
    optimizer's hyperparameter names, hooks or flags changes one of them and
    sends the call through the full guard.
    """

    __slots__ = ('checks', 'expected')

    def __init__(self, fn: Callable, links: list, optimizers: list):
        from tracegrad.configuration import config
        from tracegrad.link_hook import _registry as link_hooks

        # Any link hook registered or removed anywhere since: the full guard looks again.
        checks: list = [lambda: config.train, lambda: config.enable_backprop,
                        lambda: link_hooks.version]
        target = fn.__func__ if isinstance(fn, types.MethodType) else fn
        if isinstance(fn, types.MethodType):
            checks.append(lambda: id(fn.__self__))
        if isinstance(target, types.FunctionType):
            for cell in target.__closure__ or ():
                checks.append(lambda c=cell: id(_cell_contents(c)))
            g = target.__globals__
            for name in sorted(_code_names(target.__code__)):
                checks.append(lambda n=name: id(g.get(n)))
        for root in links:
            for _, link in root.namedlinks():
                d = vars(link)
                checks.append(lambda d=d: len(d['_params']) + 1000 * len(d['_persistent']))
                checks.append(lambda d=d: tuple(map(type, d.values())))
                children = d.get('_children')
                if children is not None:
                    checks.append(lambda c=children: len(c))
                for name in link._params:
                    param = d[name]
                    checks.append(lambda d=d, n=name: id(d[n]))
                    checks.append(lambda p=param: (id(p._data), p._grad_var is None,
                                                   id(getattr(p, 'update_rule', None))))
                for name in link._persistent:
                    checks.append(lambda d=d, n=name: _identity_or_value(d.get(n)))
        for opt in optimizers:
            checks.append(lambda o=opt: tuple(map(type, vars(o).values())))
            checks.append(lambda o=opt: (getattr(o, '_loss_scale', None),
                                         getattr(o, '_loss_scaling_is_dynamic', False)))
            hp = opt.hyperparam
            checks.append(lambda h=hp: tuple(map(type, vars(h).values())))
            hooks = getattr(opt, '_hookable', None)
            if hooks is not None:
                for timing in ('pre', 'post'):
                    hooks_dict = hooks.hooks(timing)
                    checks.append(lambda hd=hooks_dict: tuple(
                        (name, id(h), tuple(v for v in vars(h).values()
                                            if isinstance(v, (int, float, bool, str))))
                        for name, h in hd.items()))
            target_link = getattr(opt, 'target', None)
            if target_link is not None:
                for _, param in target_link.namedparams(include_uninit=False):
                    rule = param.update_rule
                    if rule is not None:
                        checks.append(lambda r=rule: (r.enabled, len(r.state or ()),
                                                      tuple(map(type, vars(r.hyperparam).values()))))
        self.checks = checks
        self.expected = [f() for f in checks]

    def holds(self) -> bool:
        for f, value in zip(self.checks, self.expected):
            if f() != value:
                return False
        return True


def _cell_contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _code_names(code) -> set:
    names: set = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(x for x in c.co_consts if isinstance(x, types.CodeType))
    return names


def _identity_or_value(value):
    return id(value) if isinstance(value, DEVICE_ARRAY_TYPES) else value


class Snapshot:
    """What tracing may change on links, parameters, optimizers, rules and hooks.

    :meth:`restore` undoes what tracing left in the attribute dicts of links and
    optimizers (tracer values). ``restore(everything=True)``, after a failed trace,
    also puts back parameters (array, grad and loss scale objects), update rules
    (``t``, state, hyperparameters) and hook attributes, so the objects are exactly
    as they were before the call.
    """

    def __init__(self, links: list, optimizers: list):
        self._saved = []
        for root in links:
            for link in root.links():
                self._saved.append((link, dict(vars(link))))
        for opt in optimizers:
            self._saved.append((opt, dict(vars(opt))))
        self._deep = []
        seen: set = set()

        def keep(obj) -> None:
            if id(obj) not in seen and hasattr(obj, '__dict__'):
                seen.add(id(obj))
                self._deep.append((obj, dict(vars(obj))))

        self._params = []
        self._states = []
        params = [p for root in links for p in root.params()]
        for opt in optimizers:
            keep(getattr(opt, 'hyperparam', None))
            hookable = getattr(opt, '_hookable', None)
            if hookable is not None:
                for hook in list(hookable.pre_hooks.values()) + list(hookable.post_hooks.values()):
                    keep(hook)
            target = getattr(opt, 'target', None)
            if target is not None:
                params.extend(target.params())
        for p in params:
            if id(p) in seen:
                continue
            seen.add(id(p))
            node = p._node_
            self._params.append((p, p._data, p._grad_var, p._loss_scale, node,
                                 None if node is None else node.data, dict(vars(p))))
            rule = getattr(p, 'update_rule', None)
            if rule is not None and id(rule) not in seen:
                keep(rule)
                keep(rule.hyperparam)
                state = rule._state
                self._states.append((rule, state, None if state is None else dict(state)))
                for hook in list(rule._hookable.pre_hooks.values()) + list(
                        rule._hookable.post_hooks.values()):
                    keep(hook)

    def traced_attributes(self) -> list:
        """(object, key) of public attributes that now hold traced values."""
        from tracegrad.compile.tracer import TracerArray

        found = []
        for obj, before in self._saved:
            for key, value in vars(obj).items():
                if key.startswith('_'):
                    continue
                inner = value.array if isinstance(value, Variable) else value
                if isinstance(inner, TracerArray):
                    found.append((obj, key))
        return found

    def restore(self, everything: bool = False) -> None:
        for obj, before in self._saved:
            _restore_dict(obj, before)
        if not everything:
            return
        for obj, before in self._deep:
            _restore_dict(obj, before)
        for p, data, grad_var, loss_scale, node, node_data, attrs in self._params:
            p._data, p._grad_var, p._loss_scale, p._node_ = data, grad_var, loss_scale, node
            if node is not None:
                node.data = node_data
            _restore_dict(p, attrs)
        for rule, state, contents in self._states:
            rule._state = state
            if state is not None:
                state.clear()
                state.update(contents)


def _restore_dict(obj, before: dict) -> None:
    current = vars(obj)
    for key in list(current):
        if key not in before:
            del current[key]
    current.update(before)


def describe(slots: list, written: set | None = None) -> str:
    lines = []
    for s in slots:
        mark = ' (written back)' if written and s.name in written else ''
        lines.append(f'{s.kind:8s} {s.name}{mark}')
    return '\n'.join(lines)
