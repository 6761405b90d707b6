"""``tracegrad.compile``: trace a step once, run it as one compiled graph afterwards."""
from __future__ import annotations

import functools
import logging
import time
import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy

from tracegrad import _native, backend
from tracegrad.backends import cuda
from tracegrad.compile import state as state_mod
from tracegrad.compile.tracer import CompileError, TraceContext, TracerArray, as_tracer
from tracegrad.function_hook import get_function_hooks
from tracegrad.variable import Variable

logger = logging.getLogger('tracegrad.compile')

MAX_SPECIALIZATIONS = 8

# The device each backend's programs run on.
_BACKEND_DEVICE = {'c': 'numpy', 'reference': 'numpy', 'cuda': 'cupy'}


def compile(fn: Callable | None = None, *, backend: str = 'c', fallback: str = 'error',
            targets: tuple = ()):
    """Compile a training step (or a link's forward) into one generated program.

    The function runs once with tracer arrays standing in for its array inputs,
    the parameters, grads and persistent arrays of the links it uses, and the
    state, hyperparameters and step counts of the optimizers it uses. The
    recorded forward, backward and update become one IR graph, optimised and
    built for ``backend``. Later calls with the same input shapes run the
    built program and write parameters, grads, optimizer state and reporter
    values back, so every visible value equals what eager execution gives.

    Args:
        fn: the step function, or a Link (compiles its forward for inference).
        backend: ``'c'`` (generated C with BLAS) or ``'reference'`` (the IR
            interpreter on NumPy).
        fallback: ``'error'`` raises :class:`CompileError` when the function
            cannot be traced; ``'eager'`` warns once and runs it eagerly.
        targets: links/optimizers to include when they cannot be found
            through the function's closure, globals, defaults or ``self``.

    Usable as ``@tracegrad.compile`` or ``@tracegrad.compile(backend='c')``.
    """
    if fallback not in ('error', 'eager'):
        raise ValueError(f"compile: fallback must be 'error' or 'eager', got {fallback!r}")
    if fn is None:
        return functools.partial(compile, backend=backend, fallback=fallback, targets=targets)
    from tracegrad.link import Link

    if isinstance(fn, Link):
        # Bound to a function that calls the link, not to Link.__call__ as it is now: that
        # is replaced while link hooks are registered (tracegrad.link_hook).
        return CompiledFunction(types.MethodType(_call_link, fn), backend, fallback,
                                targets=(fn,) + tuple(targets),
                                name=f'{type(fn).__name__}.forward')
    if not callable(fn):
        raise TypeError(f'compile: expected a function or a Link, got {type(fn).__name__}')
    return CompiledFunction(fn, backend, fallback, targets=tuple(targets))


def _call_link(link, *args):
    return link(*args)


class _Specialization:
    """One traced graph with its built program and how to feed and unpack it."""

    def __init__(self, graph, feeds, written, random_inputs, output_tree, reports,
                 program, compile_seconds: float, read_checks: list):
        self.graph = graph
        self.feeds = feeds              # per graph input: ('arg', i) | ('slot', slot) | ('random', j)
        self.written = written          # list of (slot, output index or None)
        self.random_inputs = random_inputs
        self.output_tree = output_tree
        self.reports = reports          # list of (observer, {key: output index})
        self.program = program
        self.compile_seconds = compile_seconds
        self.read_checks = read_checks  # (slot, shape, dtype) of attributes the graph reads
        self.calls = 0

    def accepts(self) -> bool:
        """Whether the attributes this graph reads still have the traced shapes and dtypes."""
        for slot, shape, dtype in self.read_checks:
            value = slot.get()
            if getattr(value, 'shape', None) != shape or getattr(value, 'dtype', None) != dtype:
                return False
        return True


class CompiledFunction:
    """The result of :func:`compile`: call it like the original function.

    Attributes:
        stats (dict): ``traces``, ``cache_hits`` and ``eager_calls`` so far.
    """

    def __init__(self, fn: Callable, backend_name: str, fallback: str, targets: tuple = (),
                 name: str | None = None):
        from codegen.backends import get_backend

        get_backend(backend_name)  # unknown names fail now, not at the first call
        self.fn = fn
        self.backend = backend_name
        self._device = _BACKEND_DEVICE.get(backend_name, 'numpy')
        self.fallback = fallback
        self.targets = targets
        self.name = name or getattr(fn, '__qualname__', repr(fn))
        self._specs: dict = {}     # guard key -> [_Specialization]
        self._programs: dict = {}  # IR text -> built program (identical graphs share one)
        self._warned = False
        self._last: _Specialization | None = None
        self._fast = None  # (specialisation, argument key, FastGuard) of the last call
        self.stats = {'traces': 0, 'cache_hits': 0, 'eager_calls': 0}
        functools.update_wrapper(self, fn, updated=())

    # -- inspection --
    @property
    def ir(self) -> str:
        """The IR text of the most recently used specialisation."""
        return self._require_last().graph.to_text()

    @property
    def source(self) -> str:
        """The generated source of the most recently used specialisation."""
        return getattr(self._require_last().program, 'source', '')

    def statistics(self) -> dict:
        """The backend's statistics of the last used specialisation, with the call counters,
        ``compile_seconds`` and the number of ``specializations``."""
        spec = self._require_last()
        stats = dict(getattr(spec.program, 'stats', {}))
        stats.update(self.stats, compile_seconds=spec.compile_seconds,
                     specializations=self._count())
        return stats

    def _count(self) -> int:
        return sum(len(v) for v in self._specs.values())

    def _require_last(self) -> _Specialization:
        if self._last is None:
            raise RuntimeError(f'{self.name}: not compiled yet; call it once first')
        return self._last

    # -- calling --
    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f'compiled {self.name}: keyword arguments are not supported; '
                            f'pass arrays positionally')
        if _native._hook_wrappers and get_function_hooks():
            return self._eager_for_hooks(args)
        fast = self._fast
        if fast is not None:
            arrays, arg_key = _flatten_args(args)
            spec, fast_args, guard = fast
            if arg_key == fast_args and guard.holds() and spec.accepts():
                self.stats['cache_hits'] += 1
                return self._run(spec, arrays)
        links, optimizers = state_mod.discover(self.fn, self.targets)
        if state_mod.uninitialized_params(links):
            # Lazily initialised links get their shapes from this call: run it eagerly.
            return self._eager(args)
        arrays, arg_key = _flatten_args(args)
        key = (arg_key, state_mod.guard_key(links, optimizers))
        spec = next((s for s in self._specs.get(key, ()) if s.accepts()), None)
        if spec is None:
            if self._count() >= MAX_SPECIALIZATIONS:
                logger.warning('%s: %d specialisations reached; running eagerly (input '
                               'shapes or model state keep changing)', self.name, self._count())
                return self._eager(args)
            if self._specs:
                logger.info('%s: retracing: %s', self.name, _why(self._specs, key))
            try:
                spec = self._trace(args, arrays, links, optimizers)
            except CompileError as e:
                if self.fallback == 'eager':
                    self._warn_once(e)
                    return self._eager(args)
                raise
            self._specs.setdefault(key, []).append(spec)
        else:
            self.stats['cache_hits'] += 1
        self._last = spec
        result = self._run(spec, arrays)
        # The state is now as the next call will find it (grads exist after a first step,
        # say): find its specialisation once, and how to re-check that state cheaply.
        after = (arg_key, state_mod.guard_key(links, optimizers))
        nxt = next((s for s in self._specs.get(after, ()) if s.accepts()), None)
        self._fast = None if nxt is None else (
            nxt, arg_key, state_mod.FastGuard(self.fn, links, optimizers))
        return result

    def _warn_once(self, why) -> None:
        if not self._warned:
            warnings.warn(f'tracegrad.compile: running {self.name} eagerly: {why}',
                          RuntimeWarning, stacklevel=3)
            self._warned = True

    def _eager_for_hooks(self, args):
        """Function hooks observe each eager function call; a compiled step makes none."""
        error = CompileError(
            f'compile: {self.name}: function hooks are registered '
            f'({", ".join(get_function_hooks())}), but a compiled step runs as generated code '
            f'that calls no functions for them to observe; call it outside the hooks\' '
            f"with-block, or compile with fallback='eager' to run it eagerly while hooks are "
            f'registered')
        if self.fallback != 'eager':
            raise error
        self._warn_once(error)
        return self._eager(args)

    def _eager(self, args):
        self.stats['eager_calls'] += 1
        return self.fn(*args)

    def _trace(self, args, arrays, links, optimizers) -> _Specialization:
        from tracegrad.configuration import using_config

        t0 = time.perf_counter()
        self._check_devices(arrays, links)
        # Everything below is undone if tracing fails: the objects look untouched.
        snapshot = state_mod.Snapshot(links, optimizers)
        try:
            state_mod.prepare_optimizer_state(optimizers)
            slots = state_mod.collect_slots(links, optimizers)
            slots += state_mod.attribute_slots(links, optimizers)
            originals = [s.get() for s in slots]
            ctx = TraceContext(self._device)
            recorder = _ReportRecorder()
            try:
                with ctx:
                    graph = ctx.graph
                    inputs = [TracerArray(graph.input(a.shape, a.dtype, name=f'arg{i}'))
                              for i, a in enumerate(arrays)]
                    slot_inputs = []
                    for s, value in zip(slots, originals):
                        t = _slot_input(graph, s, value)
                        slot_inputs.append(t)
                        s.set(t)
                    traced_args = _unflatten_args(args, inputs)
                    with recorder, using_config('type_check', True):
                        result = self.fn(*traced_args)
                    outputs, tree, written, reports = _collect_outputs(
                        result, slots, slot_inputs, originals, snapshot, recorder, links,
                        optimizers)
                    graph.set_outputs(outputs)
            finally:
                for s, value in zip(slots, originals):
                    s.set(value)
                snapshot.restore()
        except BaseException:
            snapshot.restore(everything=True)
            raise
        feeds, read_checks = _prune_inputs(graph, slots, slot_inputs, ctx.random_inputs)
        from codegen.passes import optimize

        graph = _renumber(optimize(graph))
        text = graph.to_text()
        program = self._programs.get(text)
        if program is None:
            from codegen.backends import get_backend

            # State written back (parameters, moments, statistics) may be updated in place
            # by the program when nothing reads the old value afterwards.
            position = {v.name: i for i, v in enumerate(graph.inputs)}
            donate = {index: position[s.name] for s, index in written
                      if index is not None and s.kind == 'array' and s.name in position}
            # Hyperparameters and step counters are host scalars: a GPU program computes
            # what depends on them alone on the host, and hands the counters back there.
            host_inputs = {position[s.name] for s in slots
                           if s.kind in ('hyper', 'counter') and s.name in position}
            host_outputs = {index for s, index in written
                            if index is not None and s.kind in ('hyper', 'counter')}
            from codegen.cache import BuildError

            try:
                program = get_backend(self.backend).build(
                    graph, donate=donate, host_inputs=host_inputs, host_outputs=host_outputs)
            except BuildError as e:  # no compiler, or something the backend cannot lower
                raise CompileError(f'{self.name}: the {self.backend} backend cannot build the '
                                   f'traced step: {e}') from e
            self._programs[text] = program
        seconds = time.perf_counter() - t0
        self.stats['traces'] += 1
        logger.debug('%s: traced %d nodes in %.3f s', self.name, len(graph.nodes), seconds)
        by_name = dict(feeds)
        order = [by_name[v.name] for v in graph.inputs]
        return _Specialization(graph, order, written, ctx.random_inputs, tree, reports, program,
                               seconds, read_checks)

    def _check_devices(self, arrays: list, links: list) -> None:
        """Arguments and parameters must live where this backend's programs run."""
        expected = self._device
        where = [(f'argument array {i}', a) for i, a in enumerate(arrays)]
        for link in links:
            where += [(f'parameter {name}', p.array) for name, p in link.namedparams()
                      if p.array is not None]
        for what, a in where:
            module = backend.get_array_module(a).__name__
            if module != expected:
                raise TypeError(
                    f'compile: {self.name}: {what} is on {backend.get_device_from_array(a)}, '
                    f'but the {self.backend!r} backend runs on {expected} arrays; move the '
                    f"model and data with to_device(), or compile with backend="
                    f"{'cuda' if module == 'cupy' else 'c'!r}")

    def _run(self, spec: _Specialization, arrays: list):
        xp = cuda.cupy if self._device == 'cupy' else numpy
        draws = [_draw(xp, kind, rargs, value.shape, value.dtype)
                 for value, kind, rargs in spec.random_inputs]  # all of them, in trace order
        feeds = []
        for kind, what in spec.feeds:
            if kind == 'arg':
                feeds.append(arrays[what])
            elif kind == 'slot':
                feeds.append(_slot_feed(what))
            else:
                feeds.append(draws[what])
        outs = spec.program(feeds)
        # An output may be a fed array itself; copy it before anything is overwritten
        # (unless the program updated that array in place on purpose: a donated output).
        fed = {id(a) for a in feeds}
        donated = spec.program.donated
        outs = [o.copy() if id(o) in fed and k not in donated else o for k, o in enumerate(outs)]
        for s, index in spec.written:
            if index is None:
                s.set(None)
            elif s.kind in ('grad', 'attr', 'attr_array'):
                s.set(outs[index])
            elif s.kind == 'counter':
                s.set(int(outs[index]))
            elif s.kind == 'hyper':
                s.set(outs[index].item())
            else:
                current, out = s.get(), outs[index]
                if current is out:
                    continue  # updated in place by the program
                if type(current) is type(out) and current.shape == out.shape \
                        and current.dtype == out.dtype \
                        and getattr(current.flags, 'writeable', True):  # CuPy's are
                    xp.copyto(current, out)  # keep aliases, as eager in-place updates do
                else:
                    s.set(out)
        if spec.reports:
            from tracegrad import reporter

            for observer, entry in spec.reports:
                reporter.report({k: Variable(outs[i], requires_grad=False)
                                 for k, i in entry.items()}, observer)
        spec.calls += 1
        return _rebuild(spec.output_tree, outs)


def _collect_outputs(result, slots, slot_inputs, originals, snapshot, recorder, links,
                     optimizers):
    """The graph outputs after tracing: results, changed state, new attributes, reports."""
    finals = [s.get() for s in slots]
    # Attributes the step set to traced values (e.g. Classifier.loss) are results too:
    # they are written back after each call.
    for s, value in zip(slots, originals):
        s.set(value)
    paths = {id(obj): path for path, obj in state_mod.attribute_objects(links, optimizers)}
    known = {s.name for s in slots}
    result_attrs = []
    for obj, key in snapshot.traced_attributes():
        slot = state_mod.attribute_slot(paths.get(id(obj), type(obj).__name__), obj, key)
        if slot.name not in known:
            result_attrs.append((slot, slot.get()))
    for s, value in zip(slots, finals):
        s.set(value)
    outputs, tree = _flatten_result(result)
    written = []
    attr_writes = [(s, value) for s, value in result_attrs]
    for s, t_in in zip(slots, slot_inputs):
        final = s.get()
        if final is None:
            if t_in is not None:
                written.append((s, None))  # e.g. cleargrads
            continue
        t_final = as_tracer(final)
        if t_in is not None and t_final.value is t_in._initial:
            continue  # untouched
        if s.kind in ('hyper', 'counter') and t_final.ndim != 0:
            raise CompileError(f'compile: {s.name} was set to {final!r}; expected a number')
        if s.kind in ('attr', 'attr_array'):
            attr_writes.append((s, final))
            continue
        written.append((s, len(outputs)))
        outputs.append(t_final.value)
    # Attributes last and by name, whether they held arrays before the call or not, so
    # that the graphs of the first and later calls read the same.
    for s, value in sorted(attr_writes, key=lambda entry: entry[0].name):
        written.append((s, len(outputs)))
        outputs.append(as_tracer(value).value)
    reports = []
    for observer, values in recorder.records:
        entry = {}
        for k, v in values.items():
            entry[k] = len(outputs)
            outputs.append(as_tracer(v).value)
        reports.append((observer, entry))
    return outputs, tree, written, reports


def _renumber(graph):
    """Number values in order, so equal graphs traced from different states read the same
    (and share one built program, and the backend's cache entry)."""
    n = 0
    for v in graph.inputs:
        v.id, n = n, n + 1
    for node in graph.nodes:
        for v in node.outputs:
            v.id, n = n, n + 1
    graph._next_id = n
    return graph


def _prune_inputs(graph, slots, slot_inputs, random_inputs) -> tuple[list, list]:
    """Drop state inputs the graph never reads; say where each remaining input comes from.

    Returns ``(feeds, read_checks)``: ``feeds`` maps each input name to ``('arg', i)``,
    ``('slot', slot)`` or ``('random', j)``; ``read_checks`` lists the attribute slots that
    are read (their shapes decide whether this graph fits a later call).
    """
    from codegen.passes.dce import dce

    dce(graph)
    used = {v.id for node in graph.nodes for v in node.inputs}
    used.update(v.id for v in graph.outputs)
    feeds = []
    read_checks = []
    kept = []
    by_id = {t._initial.id: s for s, t in zip(slots, slot_inputs) if t is not None}
    random_index = {v.id: j for j, (v, _, _) in enumerate(random_inputs)}
    arg_count = 0
    for v in graph.inputs:
        slot = by_id.get(v.id)
        if slot is not None:
            if v.id not in used:
                continue
            feeds.append((v.name, ('slot', slot)))
            if slot.kind in ('attr', 'attr_array'):
                value = slot.get()
                read_checks.append((slot, value.shape, value.dtype))
        elif v.id in random_index:
            feeds.append((v.name, ('random', random_index[v.id])))
        else:
            feeds.append((v.name, ('arg', arg_count)))
            arg_count += 1
        kept.append(v)
    graph.inputs = kept
    names = [name for name, _ in feeds]
    if len(set(names)) != len(names):
        raise CompileError(f'compile: graph input names are not unique: {names}')
    return feeds, read_checks


def _slot_input(graph, slot, value):
    """The tracer that stands for a slot's current value (None stays None)."""
    if value is None:
        return None
    if slot.kind in ('hyper', 'counter'):
        dtype = 'int64' if isinstance(value, (int, numpy.integer)) else 'float64'
        t = TracerArray(graph.input((), dtype, name=slot.name), weak=True)
    else:
        t = TracerArray(graph.input(value.shape, value.dtype, name=slot.name))
    t._initial = t.value
    return t


def _slot_feed(slot):
    value = slot.get()
    if slot.kind in ('hyper', 'counter'):
        return numpy.asarray(value, dtype='int64' if isinstance(value, (int, numpy.integer))
                             else 'float64')
    return value


def _draw(xp, kind: str, args: tuple, shape: tuple, dtype: str):
    """A traced random draw, made as eager code would make it: from ``xp.random``.

    CuPy draws in the traced dtype (its generator gives other numbers for float32 than
    for float64, so drawing float64 and casting would not match eager CuPy); NumPy's
    global draws are float64, as traced.
    """
    rs = xp.random
    size = shape if shape else None
    kw = {} if xp is numpy else {'dtype': dtype}
    if kind == 'rand':
        out = rs.rand(*shape, **kw)
    elif kind == 'random_sample':
        out = rs.random_sample(size, **kw)
    elif kind == 'uniform':
        out = rs.uniform(args[0], args[1], size, **kw)
    elif kind == 'normal':
        out = rs.normal(args[0], args[1], size, **kw)
    elif kind == 'standard_normal':
        out = rs.standard_normal(size, **kw)
    elif kind == 'randn':
        out = rs.randn(*shape, **kw)
    else:
        raise CompileError(f'unknown random draw {kind}')
    return xp.asarray(out, dtype=dtype)


def _flatten_args(args: tuple) -> tuple[list, tuple]:
    arrays = []
    key = []
    for a in args:
        if isinstance(a, Variable):
            a = a.array
        if isinstance(a, backend.DEVICE_ARRAY_TYPES):
            arrays.append(a)
            key.append((type(a), a.shape, a.dtype.str))
        elif isinstance(a, (int, float, bool, str, type(None))):
            key.append(('const', type(a).__name__, a))
        else:
            raise TypeError(f'compile: unsupported argument type {type(a).__name__}; pass '
                            f'arrays, Variables or Python scalars')
    return arrays, tuple(key)


def _unflatten_args(args: tuple, tracers: list) -> tuple:
    out = []
    it = iter(tracers)
    for a in args:
        if isinstance(a, Variable):
            out.append(Variable(next(it), requires_grad=a.requires_grad))
        elif isinstance(a, backend.DEVICE_ARRAY_TYPES):
            out.append(next(it))
        else:
            out.append(a)
    return tuple(out)


def _flatten_result(result) -> tuple[list, Any]:
    values: list = []

    def walk(r):
        if isinstance(r, Variable):
            values.append(as_tracer(r.array).value)
            return ('var', len(values) - 1)
        if isinstance(r, TracerArray):
            values.append(r.value)
            return ('array', len(values) - 1)
        if isinstance(r, (tuple, list)):
            return (type(r).__name__, [walk(x) for x in r])
        if isinstance(r, dict):
            return ('dict', {k: walk(v) for k, v in r.items()})
        if isinstance(r, (int, float, bool, str, type(None))):
            return ('const', r)
        if isinstance(r, backend.DEVICE_ARRAY_TYPES):
            values.append(as_tracer(r).value)
            return ('array', len(values) - 1)
        raise CompileError(f'compile: cannot return a {type(r).__name__} from a compiled function')

    return values, walk(result)


def _rebuild(tree, outs):
    kind, payload = tree
    if kind == 'var':
        return Variable(outs[payload], requires_grad=False)
    if kind == 'array':
        return outs[payload]
    if kind in ('tuple', 'list'):
        items = [_rebuild(t, outs) for t in payload]
        return tuple(items) if kind == 'tuple' else items
    if kind == 'dict':
        return {k: _rebuild(t, outs) for k, t in payload.items()}
    return payload


def _why(specs: dict, key) -> str:
    """A short reason for a retrace: what differs from the closest cached key."""
    arg_key, guard = key
    for old_args, old_guard in specs:
        if old_args != arg_key:
            return f'input shapes/dtypes changed: {old_args} -> {arg_key}'
        if old_guard[:2] != guard[:2]:
            return f'config changed (train, enable_backprop): {old_guard[:2]} -> {guard[:2]}'
        for a, b in zip(old_guard, guard):
            if a != b:
                return f'model/optimizer state changed: {a!r} -> {b!r}'[:300]
    return 'new guard'


class _ReportRecorder:
    """While tracing, record reporter.report calls so each compiled call can replay them."""

    def __init__(self):
        self.records: list = []

    def __enter__(self):
        from tracegrad import reporter

        self._reporter = _RecordingReporter(self.records)
        reporter._get_reporters().append(self._reporter)
        return self

    def __exit__(self, *exc):
        from tracegrad import reporter

        stack = reporter._get_reporters()
        if stack and stack[-1] is self._reporter:
            stack.pop()


class _RecordingReporter:
    def __init__(self, records: list):
        self.records = records
        self.observation: dict = {}

    def report(self, values: dict, observer: Any = None) -> None:
        kept = {}
        for k, v in values.items():
            inner = v.array if isinstance(v, Variable) else v
            if isinstance(inner, TracerArray):
                kept[k] = inner
        if kept:
            self.records.append((observer, kept))
