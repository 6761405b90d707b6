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
import itertools
import os
import re
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
# A comparison's result is kept in an int, as wide as a float lane: gcc leaves a loop with a
# uint8_t local that becomes a float (a ReLU's mask, `(x > 0) * g`) unvectorised.
C = loops.Dialect('C', CTYPES, 'c_expr', restrict='restrict', nan='NAN', inf='INFINITY',
                  true='1', false='0', int_suffix='', function_qualifier='static inline',
                  local_types={'bool': 'int'})
_ctype, _literal = C.ctype, C.literal

# The libm functions the kernels call that glibc's libmvec has in vector form, with their
# number of arguments: declared as SIMD functions where it is there (see program.c.j2).
VECTOR_MATH = {'acos': 1, 'asin': 1, 'atan': 1, 'atanh': 1, 'cos': 1, 'cosh': 1, 'erf': 1,
               'erfc': 1, 'exp': 1, 'expm1': 1, 'log': 1, 'log1p': 1, 'sin': 1, 'sinh': 1,
               'tan': 1, 'tanh': 1, 'atan2': 2, 'pow': 2}

# GEMMs with at least this many multiply-adds use all of OpenBLAS's threads; smaller
# ones run on one (see tg_blas_threads in templates/c/program.c.j2).
GEMM_PARALLEL_MIN = 1 << 22


# At most this many copies of a fusion body, one per piece of a concat read along a loop,
# and at most this many pieces of its innermost loop, cut where padded reads begin or end.
MAX_SEGMENTS = 64
MAX_PADDING_PIECES = 8


class _FusionEmitter(loops.FusionBody):
    """Renders one fusion node: a loop nest over its iteration shape.

    The loops follow the body, found by walking it twice before rendering (probes):
    a loop that a reshape splits into several axes (a window axis and a channel axis
    merged into one, an image's rows and columns) runs as one loop per digit, so the
    body reads each digit directly instead of dividing; and a loop along which a
    concat is read (im2col's windows) runs as one loop per piece, each with that
    piece's reads only, instead of choosing the piece element by element; and the
    innermost loop is cut where a padded read starts or stops reading its array, so
    each piece reads or does not, without a test per element. gcc vectorises neither
    the divisions nor the choices: the im2col of a 3x3 convolution ran ten times
    faster split this way."""

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
        index = tuple(f'i{d}' if shape[d] != 1 else '0' for d in range(ndim))
        nest, factors = self._loop_nest(shape, [d for d in order if shape[d] != 1], axes,
                                        index, trailing)
        loop_vars = {lp['var'] for lp in nest} | set(factors)   # counters and split ones
        unsplit = self._probe(index, axes, trailing, loop_vars, factors)
        at, bounds = _concat_split(nest, unsplit['concat'], trailing)
        position = next((k for k, lp in enumerate(nest) if lp['var'] == at), 0)

        self.loop_vars, self.factors = frozenset(loop_vars), factors
        segments, inits = [], []
        for lo, hi in itertools.pairwise(bounds) if at else [(0, 0)]:
            ranges = {at: (lo, hi)} if at else {}
            loops_ = [dict(lp, lo=lo, hi=hi) if lp['var'] == at else lp
                      for lp in nest[position:]]
            last = loops_.pop() if loops_ else None
            # what the body reads in this segment (the probe above where it is the only one)
            requests = self._probe(index, axes, trailing, loop_vars, factors, ranges) \
                if at else unsplit
            leaves = []
            for piece in _padding_cuts(last, requests['pad']):
                self.statements, self.memo, self.index_memo = [], {}, {}
                self.ranges = dict(ranges, **({last['var']: piece} if last else {}))
                inits, accumulators, stores, acc_stores = self._walk(index, axes, trailing)
                leaves.append({'loop': last and dict(last, lo=piece[0], hi=piece[1]),
                               'statements': self.statements + stores})
            n_outer = len([lp for lp in loops_ if not lp['reduced']]) if trailing \
                else len(loops_)
            segments.append({'outer': loops_[:n_outer], 'inner': loops_[n_outer:],
                             'accumulators': accumulators, 'acc_stores': acc_stores,
                             'leaves': leaves, 'acc_depth': position + n_outer,
                             'depth': len(nest)})
        return render('c/fusion.c.j2', name=self.name, params=self.params(), inits=inits,
                      prefix=nest[:position], segments=segments,
                      comment=f'fusion of {len(self.body.nodes)} nodes over {list(shape)}'
                              + (f', split at {at} = {bounds[1:-1]}' if at else ''))

    def _loop_nest(self, shape: tuple, dims: list, axes, index: tuple,
                   trailing: bool) -> tuple[list, dict]:
        """The loops over axes ``dims`` (in loop order), each split into one loop per digit
        where the body's reshapes read it as digits: ([{'var', 'lo', 'hi', 'defines',
        'reduced', 'depth'}] outermost first, {loop var: [(factor var, extent, stride)]})."""
        reduced = set(axes or ())
        split = self._probe(index, axes, trailing, {f'i{d}' for d in dims}, {})['split']
        nest, factors = [], {}
        for d in dims:
            var = f'i{d}'
            chain = _factor_chain(var, shape[d], split.get(var, ()))
            if not chain:
                nest.append({'var': var, 'lo': 0, 'hi': shape[d], 'defines': [],
                             'reduced': d in reduced})
                continue
            factors[var] = chain
            nest += [{'var': name, 'lo': 0, 'hi': extent, 'defines': [], 'reduced': d in reduced}
                     for name, extent, _ in chain]
            digits = [name if stride == 1 else f'{name} * {stride}' for name, _, stride in chain]
            nest[-1]['defines'] = [f'const long {var} = {" + ".join(digits)};']
        for depth, lp in enumerate(nest):
            lp['depth'] = depth
        return nest, factors

    def _probe(self, index: tuple, axes, trailing: bool, loop_vars: set, factors: dict,
               ranges: dict | None = None) -> dict:
        """What a walk of the body over loops ``loop_vars`` (split by ``factors``, running
        over ``ranges``) asks for: {'split': {loop var: {stride}}, 'concat': {loop var:
        {piece start}}, 'pad': {loop var: {where a padded read starts or stops}}}."""
        probe = type(self)(self.name, self.body)
        probe.loop_vars, probe.factors = frozenset(loop_vars), factors
        probe.ranges = dict(ranges or {})
        probe.requests = {'split': {}, 'concat': {}, 'pad': {}}
        probe._walk(index, axes, trailing)
        return probe.requests

    def _walk(self, index: tuple, axes, trailing: bool) -> tuple:
        """(inits, accumulators, stores, accumulator stores) of the body at ``index``; the
        statements computing the values stored collect in ``self.statements``."""
        inits, accumulators, stores, acc_stores = [], [], [], []
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
        return inits, accumulators, stores, acc_stores


def _concat_split(nest: list, concat: dict, trailing: bool) -> tuple:
    """(loop var, [0, piece starts..., extent]) of the outermost loop along which the
    body reads a concat (``concat``: a probe's {loop var: {piece start}}), or (None, [])
    where there is none to split."""
    for lp in nest:
        starts = sorted({b for b in concat.get(lp['var'], ()) if 0 < b < lp['hi']})
        # (not a loop summed into an accumulator local: the pieces would share it)
        if starts and not (trailing and lp['reduced']) and len(starts) < MAX_SEGMENTS:
            return lp['var'], [0, *starts, lp['hi']]
    return None, []


def _padding_cuts(last: dict | None, pad: dict) -> list:
    """The innermost loop's range cut where a padded read along it starts or stops
    reading the array (``pad``: a probe's {loop var: {bound}}): [(lo, hi)] per piece, in
    each of which every such read is known to be inside or outside (no test per element).
    One piece where there is nothing to cut or too much."""
    if last is None:
        return [None]
    lo, hi = last['lo'], last['hi']
    cuts = sorted({b for b in pad.get(last['var'], ()) if lo < b < hi})
    if not cuts or len(cuts) >= MAX_PADDING_PIECES:
        return [(lo, hi)]
    return list(itertools.pairwise([lo, *cuts, hi]))


def _factor_chain(var: str, extent: int, strides) -> list | None:
    """Loop ``var`` over ``extent`` as nested loops, one per digit that the ``strides``
    (of reshapes splitting it) mark: [(loop var, extent, stride)], outermost first; None
    when there is nothing to split or the strides do not nest (each dividing the next)."""
    bounds = [1, *sorted(s for s in set(strides) if 1 < s < extent), extent]
    if len(bounds) == 2 or any(b % a for a, b in itertools.pairwise(bounds)):
        return None
    digits = [(b // a, a) for a, b in itertools.pairwise(bounds)]   # (extent, stride), innermost first
    return [(f'{var}_{k}', n, stride) for k, (n, stride) in enumerate(reversed(digits))]


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
                      vector_math=_vector_math(self.kernels),
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
        # positions kept as wide as the values (so the loop vectorises), or as wide as needed
        wide = numpy.dtype(x.dtype).itemsize == 8 or x.shape[axis] > 2 ** 31 - 1
        self._macro('arg_reduce', name=name, ctype=_ctype(x.dtype),
                    itype='int64_t' if wide else 'int32_t', outer=outer,
                    axis_len=x.shape[axis], inner=inner, better=better, chunk=64)
        self._call(name, node)

    def _emit_argmax(self, name, node, step):
        self._emit_arg(name, node, '>')

    def _emit_argmin(self, name, node, step):
        self._emit_arg(name, node, '<')


def _vector_math(kernels: list) -> list:
    """The declarations (name, C type, parameters) of the :data:`VECTOR_MATH` functions
    that ``kernels`` call, float and double."""
    calls = set(re.findall(r'\b([a-z0-9]+)\(', '\n'.join(kernels)))
    found = []
    for name, n_args in VECTOR_MATH.items():
        for ctype, suffix in (('double', ''), ('float', 'f')):
            if name + suffix in calls:
                found.append({'name': name + suffix, 'ctype': ctype,
                              'params': ', '.join([ctype] * n_args)})
    return found


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
