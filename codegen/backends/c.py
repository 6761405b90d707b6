"""The C backend: one translation unit per graph, GEMMs on OpenBLAS, loops for the rest.

Pipeline: fuse (codegen.passes.fuse) -> plan buffers (codegen.passes.plan) ->
render (templates/c) -> compile with the C compiler into the kernel cache ->
load with cffi. Python decides loop nests, index expressions and storage; the
templates only lay them out.

Threads: OpenBLAS owns them (its GEMMs use every core); generated loops are
single-threaded and vectorised by the compiler. Running OpenMP loops beside
OpenBLAS's spinning threads was measured to slow both down on small machines.
"""
from __future__ import annotations

import functools
import os
import time

import numpy

from codegen import cache
from codegen.backends import loops
from codegen.cache import BuildError
from codegen.ir import Graph, IRError, Value, parse
from codegen.passes.fuse import fuse
from codegen.passes.gemm import gemm_accumulate
from codegen.passes.plan import plan as plan_buffers
from codegen.render import render

CTYPES = {'float32': 'float', 'float64': 'double', 'int32': 'int32_t', 'int64': 'int64_t',
          'bool': 'uint8_t', 'int8': 'int8_t', 'uint8': 'uint8_t'}
# (lowest, highest) of each integer type: the identities of max and min reductions
INT_LIMITS = {'int8': ('INT8_MIN', 'INT8_MAX'), 'uint8': ('0', 'UINT8_MAX'),
              'int32': ('INT32_MIN', 'INT32_MAX'), 'int64': ('INT64_MIN', 'INT64_MAX'),
              'bool': ('0', '1')}
C = loops.Dialect('C', CTYPES, 'c_expr', restrict='restrict', nan='NAN', inf='INFINITY',
                  true='1', false='0', int_suffix='', function_qualifier='static inline')
_ctype, _literal = C.ctype, C.literal

# GEMMs with at least this many multiply-adds use all of OpenBLAS's threads; smaller
# ones run on one (see tg_blas_threads in templates/c/program.c.j2).
GEMM_PARALLEL_MIN = 1 << 22


class _FusionEmitter(loops.FusionBody):
    """Renders one fusion node: a loop nest over its iteration shape."""

    dialect = C

    def render(self) -> str:
        shape, axes = self.iteration()
        ndim = len(shape)
        trailing = axes is not None and tuple(axes) == tuple(range(ndim - len(axes), ndim))
        if axes is not None and not trailing:
            order = list(range(ndim))   # natural order; accumulate in memory
        elif axes is not None:
            order = [d for d in range(ndim) if d not in axes] + list(axes)
        else:
            order = list(range(ndim))
        loop_var = {d: f'i{d}' for d in range(ndim)}
        index = tuple(loop_var[d] if shape[d] != 1 else '0' for d in range(ndim))
        nest = [{'var': loop_var[d], 'extent': shape[d]} for d in order if shape[d] != 1]
        n_outer = len([d for d in order if shape[d] != 1 and (axes is None or d not in axes)]) \
            if trailing else len(nest)
        for depth, loop in enumerate(nest):
            loop['depth'] = depth
        outer, inner = nest[:n_outer], nest[n_outer:]

        inits, accumulators, acc_stores = [], [], []
        stores = []
        for k, o in enumerate(self.body.outputs):
            red = self.reduction(o)
            if red is None:
                stores.append(self.store(k, o, index))
                continue
            src = self.value(red.inputs[0], index)
            ctype = _ctype(o.dtype)
            lowest, highest = ('(-INFINITY)', 'INFINITY') if o.dtype.startswith('float') else \
                INT_LIMITS[o.dtype]
            identity = {'sum': _literal(0, o.dtype), 'max': f'(({ctype}){lowest})',
                        'min': f'(({ctype}){highest})'}[red.op]
            combine = loops.COMBINE[red.op]
            target = f'out{k}[{loops.offset(loops.reduced_index(red, axes, index), o.shape)}]'
            if trailing:
                acc = f'acc{k}'
                accumulators.append({'ctype': ctype, 'name': acc, 'identity': identity})
                stores.append(f'{acc} = {combine.format(a=acc, v=src)};')
                acc_stores.append(f'{target} = {acc};')
            else:
                inits.append(f'for (long j = 0; j < {o.size}; ++j) out{k}[j] = {identity};')
                stores.append(f'{target} = {combine.format(a=target, v=src)};')
        statements = self.statements + stores
        return render('c/fusion.c.j2', name=self.name, params=self.params(), inits=inits,
                      outer=outer, inner=inner, accumulators=accumulators,
                      statements=statements, acc_stores=acc_stores, depth=len(nest),
                      comment=f'fusion of {len(self.body.nodes)} nodes over {list(shape)}')


class _Renderer:
    def __init__(self, graph: Graph, donate: dict | None = None):
        self.graph = graph
        self.plan = plan_buffers(graph, donate)
        self.kernels: list = []
        self.body: list = []
        self.constants: list = []
        self.uses_blas = False
        self.stats = {'kernels': 0, 'fused_groups': 0, 'fused_nodes': 0, 'blas_calls': 0,
                      'bytes_moved': 0}

    def ref(self, v: Value, const: bool = True) -> str:
        """A C pointer expression to where ``v`` lives."""
        kind, where = self.plan.storage[self.plan.root(v.id)]
        ctype = _ctype(v.dtype)
        qual = 'const ' if const else ''
        if kind == 'input':
            return f'(({qual}{ctype}*)io[{where}])'
        if kind == 'output':
            return f'(({ctype}*)io[{len(self.graph.inputs) + where}])'
        if kind == 'arena':
            return f'(({qual}{ctype}*)(arena + {where}))'
        if kind == 'static':
            return f'c{where}'
        raise BuildError(f'no storage for {v}')

    def count_bytes(self, values) -> int:
        return sum(v.size * v.itemsize for v in values)

    def emit(self) -> str:
        for i, node in enumerate(self.graph.nodes):
            name = f'k{i}_{node.op}'
            handler = getattr(self, f'_emit_{node.op}', None)
            if handler is None:
                raise BuildError(f'the C backend has no lowering for {node.op}')
            handler(name, node, i + 1)
            if node.op not in ('reshape', 'constant'):
                self.stats['kernels'] += 1
                self.stats['bytes_moved'] += self.count_bytes(node.inputs) + \
                    self.count_bytes(node.outputs)
        for k, vid in self.plan.copies:
            v = next(o for o in self.graph.outputs if o.id == vid)
            self.body.append(f'memcpy(io[{len(self.graph.inputs) + k}], {self.ref(v)}, '
                             f'{v.size * v.itemsize});')
        n_in, n_out = len(self.graph.inputs), len(self.graph.outputs)
        return render('c/program.c.j2', kernels=self.kernels, body=self.body,
                      special_functions=loops.special_functions(C, self.kernels),
                      blas_prefix=cache.BLAS_PREFIX,
                      constants=self.constants, uses_blas=self.uses_blas,
                      arena_bytes=self.plan.arena_bytes, n_inputs=n_in, n_outputs=n_out,
                      summary=f'{len(self.graph.nodes)} nodes, {self.stats["fused_groups"]} '
                              f'fused groups, {self.stats["blas_calls"]} BLAS calls')

    # -- lowerings --
    def _emit_fusion(self, name, node, step):
        body = parse(node.attrs['body'])
        self.kernels.append(_FusionEmitter(name, body).render())
        self._call(name, node)
        self.stats['fused_groups'] += 1
        self.stats['fused_nodes'] += len(body.nodes)

    def _emit_reshape(self, name, node, step):
        pass  # an alias of its input

    def _emit_constant(self, name, node, step):
        v = node.outputs[0]
        values = ', '.join(_literal(x, v.dtype) for x in node.attrs['value'])
        self.constants.append({'ctype': _ctype(v.dtype), 'name': f'c{v.id}', 'size': v.size,
                               'data': values})

    def _emit_matmul(self, name, node, step):
        a, b = node.inputs
        self._gemm(name, a, b, node.outputs[0], node.attrs['transa'], node.attrs['transb'],
                   1.0, 0.0)

    def _emit_gemm(self, name, node, step):
        a, b, c = node.inputs
        out = node.outputs[0]
        plan = self.plan
        if plan.storage[plan.root(out.id)] != plan.storage[plan.root(c.id)]:  # not in place
            self.body.append(f'memcpy({self.ref(out, False)}, {self.ref(c)}, '
                             f'{out.size * out.itemsize});')
        self._gemm(name, a, b, out, node.attrs['transa'], node.attrs['transb'],
                   node.attrs['alpha'], node.attrs['beta'])

    def _gemm(self, name, a, b, out, transa, transb, alpha, beta):
        if out.dtype not in ('float32', 'float64'):
            raise BuildError(f'matmul of {out.dtype} has no BLAS routine')
        m, n = out.shape[-2], out.shape[-1]
        k = a.shape[-2] if transa else a.shape[-1]
        batch = out.size // (m * n) if m * n else 0
        a_batch = a.size // (a.shape[-1] * a.shape[-2]) if a.size else 0
        b_batch = b.size // (b.shape[-1] * b.shape[-2]) if b.size else 0
        for side_batch in (a_batch, b_batch):
            if side_batch not in (1, batch):
                raise BuildError('matmul: batch dimensions that broadcast partially')
        if out.size == 0:
            return
        if k == 0:
            if beta == 0.0:
                self.body.append(f'memset({self.ref(out, False)}, 0, '
                                 f'{out.size * out.itemsize});')
            elif beta != 1.0:
                raise BuildError('gemm: an empty product with beta other than 0 or 1')
            return
        self.uses_blas = True
        self.kernels.append(render(
            'c/gemm.c.j2', name=name, ctype=_ctype(out.dtype),
            symbol=f'{cache.BLAS_PREFIX}cblas_{"s" if out.dtype == "float32" else "d"}gemm',
            ta='CblasTrans' if transa else 'CblasNoTrans',
            tb='CblasTrans' if transb else 'CblasNoTrans', m=m, n_=n, k=k,
            lda=a.shape[-1], ldb=b.shape[-1], alpha=_literal(alpha, out.dtype),
            beta=_literal(beta, out.dtype), batch=batch,
            a_batch_stride=(a.shape[-1] * a.shape[-2]) if a_batch > 1 else 0,
            b_batch_stride=(b.shape[-1] * b.shape[-2]) if b_batch > 1 else 0,
            threads=0 if m * n * k >= GEMM_PARALLEL_MIN else 1,  # per BLAS call
            comment=f'{"batched " if batch > 1 else ""}GEMM {m}x{n}x{k}'
                    + ('' if beta == 0.0 else f', accumulating (alpha {alpha}, beta {beta})')))
        self.body.append(f'{name}({self.ref(a)}, {self.ref(b)}, {self.ref(out, False)});')
        self.stats['blas_calls'] += 1

    def _macro(self, macro: str, **kw) -> None:
        self.kernels.append(render('c/ops.c.j2', _macro=macro, **kw))

    def _call(self, name: str, node, step: int | None = None) -> None:
        """Call kernel ``name`` on the node's inputs and outputs; with ``step``, return it from
        the program when the kernel reports an index out of range."""
        args = [self.ref(v) for v in node.inputs] + [self.ref(o, False) for o in node.outputs]
        call = f'{name}({", ".join(args)})'
        self.body.append(f'{call};' if step is None else f'if ({call}) return {step};')

    def _emit_concat(self, name, node, step):
        out = node.outputs[0]
        outer, parts, total = loops.concat_parts(node)
        self._macro('concat', name=name, ctype=_ctype(out.dtype), outer=outer, parts=parts,
                    total=total)
        self._call(name, node)

    def _gather(self, macro: str, name, node, step, data: Value, idx: Value) -> None:
        """take and scatter_add: ``data`` is the array indexed along the node's axis."""
        axis = node.attrs['axis']
        outer, inner = loops.outer_inner(data.shape, axis)
        self._macro(macro, name=name, ctype=_ctype(data.dtype), itype=_ctype(idx.dtype),
                    outer=outer, n_idx=idx.size, axis_len=data.shape[axis], inner=inner)
        self._call(name, node, step)

    def _emit_take(self, name, node, step):
        x, idx = node.inputs
        self._gather('take', name, node, step, x, idx)

    def _emit_scatter_add(self, name, node, step):
        self._gather('scatter_add', name, node, step, node.outputs[0], node.inputs[0])

    def _emit_take_along_axis(self, name, node, step):
        x, idx = node.inputs
        out = node.outputs[0]
        axis = node.attrs['axis']
        nest = [{'var': f'i{d}', 'extent': s} for d, s in enumerate(out.shape)]
        index = [f'i{d}' for d in range(out.ndim)]
        x_index, idx_index = loops.take_along_axis_indices(x, idx, axis, index)
        self._macro('take_along_axis', name=name, ctype=_ctype(x.dtype), itype=_ctype(idx.dtype),
                    loops=nest, out_offset=loops.offset(index, out.shape),
                    x_offset=loops.offset(x_index, x.shape),
                    idx_offset=loops.offset(idx_index, idx.shape),
                    axis_len=x.shape[axis], x_axis_stride=loops.strides(x.shape)[axis])
        self._call(name, node, step)

    def _emit_arg(self, name, node, better):
        x = node.inputs[0]
        axis = node.attrs['axes'][0]
        outer, inner = loops.outer_inner(x.shape, axis)
        self._macro('arg_reduce', name=name, ctype=_ctype(x.dtype), outer=outer,
                    axis_len=x.shape[axis], inner=inner, better=better)
        self._call(name, node)

    def _emit_argmax(self, name, node, step):
        self._emit_arg(name, node, '>')

    def _emit_argmin(self, name, node, step):
        self._emit_arg(name, node, '<')


class CProgram:
    """A built graph: call it with input arrays, get output arrays."""

    def __init__(self, graph: Graph, source_path: str, lib, ffi, arena_bytes: int, stats: dict,
                 donated: dict | None = None):
        self.graph = graph
        self.source_path = source_path
        # output index -> input index it is computed into (the caller's array is updated)
        self.donated = dict(donated or {})
        self.stats = stats
        self._lib = lib
        self._ffi = ffi
        self._arena = numpy.zeros(max(arena_bytes, 64) + 64, numpy.uint8)
        # 64-byte aligned start for vector loads
        shift = (-self._arena.ctypes.data) % 64
        self._arena_ptr = ffi.cast('char*', self._arena.ctypes.data + shift)
        self._in_specs = [(v.shape, numpy.dtype(v.dtype)) for v in graph.inputs]
        self._out_specs = [(v.shape, numpy.dtype(v.dtype)) for v in graph.outputs]
        n = len(graph.inputs) + len(graph.outputs)
        self._ptrs = ffi.new('void*[]', max(n, 1))
        # The arrays last passed as inputs and their buffers: parameters and optimizer
        # state come back as the same objects every step, so their pointers are reused.
        self._last_inputs: list = [None] * len(graph.inputs)
        self._last_buffers: list = [None] * len(graph.inputs)

    @property
    def source(self) -> str:
        """The generated C (read from the kernel cache, or rendered again if it is gone)."""
        try:
            with open(self.source_path) as f:
                return f.read()
        except OSError:
            return render_source(self.graph, self.donated)[0]

    def __call__(self, inputs: list) -> list:
        specs = self._in_specs
        if len(inputs) != len(specs):
            raise ValueError(f'compiled graph: expected {len(specs)} inputs, got {len(inputs)}')
        ptrs = self._ptrs
        from_buffer = self._ffi.from_buffer
        last, buffers = self._last_inputs, self._last_buffers
        keep = list(inputs)
        for k, (a, (shape, dtype)) in enumerate(zip(inputs, specs)):
            if a is last[k]:
                continue
            if type(a) is not numpy.ndarray or a.dtype != dtype or not a.flags.c_contiguous:
                a = numpy.ascontiguousarray(a, dtype=dtype)
                keep[k] = a
            if a.shape != shape:
                raise ValueError(f'compiled graph: input {k} has shape {a.shape}, expected {shape}')
            buffers[k] = buf = from_buffer(a) if a.size else self._ffi.NULL
            ptrs[k] = buf
            last[k] = inputs[k] if keep[k] is inputs[k] else None
        outs = []
        base = len(specs)
        donated = self.donated
        held = []
        for k, (shape, dtype) in enumerate(self._out_specs):
            if k in donated:
                o = keep[donated[k]]
                outs.append(o)
                ptrs[base + k] = ptrs[donated[k]]
                continue
            o = numpy.empty(shape, dtype)
            outs.append(o)
            buf = from_buffer(o) if o.size else self._ffi.NULL
            held.append(buf)
            ptrs[base + k] = buf
        status = self._lib.tg_run(self._arena_ptr, ptrs)
        if status:
            node = self.graph.nodes[status - 1]
            raise IndexError(f'compiled graph: an index is out of range in {node.op} '
                             f'(step {status} of {len(self.graph.nodes)})')
        return outs


def render_source(graph: Graph, donate: dict | None = None) -> tuple[str, _Renderer]:
    r = _Renderer(graph, donate)
    return r.emit(), r


def build(graph: Graph, *, fused: bool = False, donate: dict | None = None,
          host_inputs=(), host_outputs=()) -> CProgram:
    """Fuse, plan, render, compile (cached) and load ``graph``.

    ``donate`` maps output indices to input indices whose arrays may be updated in
    place instead (state written back: parameters, optimizer moments); the
    program's ``donated`` says which were, and returns those inputs as outputs.
    ``host_inputs``/``host_outputs`` (see the CUDA backend) change nothing here: a C
    program runs on the host already.
    """
    t0 = time.perf_counter()
    if not fused:
        graph = fuse(gemm_accumulate(graph))
    try:
        graph.validate()
    except IRError as e:
        raise BuildError(f'the fused graph is invalid: {e}') from None
    donate = dict(donate or {})
    key_material = '\n'.join(['c', _fingerprint(), graph.to_text(), repr(sorted(donate.items()))])

    def produce():
        source, renderer = render_source(graph, donate)
        return source, {'stats': renderer.stats, 'arena_bytes': renderer.plan.arena_bytes,
                        'donated': sorted(renderer.plan.donated.items())}

    lib, ffi, hit, meta = cache.load_or_build(key_material, produce)
    stats = dict(meta['stats'])
    donated = {int(k): int(v) for k, v in meta['donated']}
    stats.update(backend='c', cache_hit=hit, build_seconds=time.perf_counter() - t0,
                 arena_bytes=meta['arena_bytes'], donated_outputs=len(donated))
    return CProgram(graph, meta['source_path'], lib, ffi, meta['arena_bytes'], stats, donated)


@functools.cache
def _fingerprint() -> str:
    """A hash of codegen's sources and templates: a program's cache key depends on them."""
    import hashlib
    from importlib import resources

    h = hashlib.sha256()
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder, _, files in sorted(os.walk(package)):
        for name in sorted(files):
            if name.endswith('.py'):
                with open(os.path.join(folder, name), 'rb') as f:
                    h.update(f.read())
    stack = [resources.files('templates')]
    while stack:
        entry = stack.pop()
        for child in sorted(entry.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith('.j2'):
                h.update(child.read_bytes())
    return h.hexdigest()
