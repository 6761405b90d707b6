"""The CUDA backend: fused groups as generated kernels, GEMMs on cuBLAS, run with CuPy.

Pipeline: fuse (codegen.passes.fuse, the same groups as the C backend) -> plan
buffers (codegen.passes.plan: one device arena) -> render (templates/cuda, one
translation unit of ``extern "C" __global__`` kernels) -> at the first call,
compile once per process with ``cupy.RawModule`` (CuPy also keeps its on-disk
cubin cache) -> run the schedule on CuPy arrays.

Python decides the kernels' index math, strategies and launch configurations;
the templates lay them out. Sizes are baked into the source as constants, so
the only kernel arguments are pointers.

* elementwise groups: a grid-stride loop over the output elements; the flat index
  is split into one index per iteration axis, and every body value is read at
  its (broadcast, transposed, sliced) index, as in the C backend's emitter.
* reductions as a group's tail: ``rows`` (a group of 32..256 threads per output,
  warp shuffles plus shared memory), or ``columns`` (a thread per output, for
  reductions whose innermost iteration axis is kept, so reads coalesce).
* matmul: cuBLAS through ``cupy.cublas.gemm`` (2-D; transposes are BLAS flags,
  ``beta=1`` where a GEMM result is only added to a value of its own shape) or
  ``cupy.matmul`` (batched).
* concat (of computed arrays), take, take_along_axis, scatter_add (atomicAdd),
  argmax/argmin: templates/cuda/ops.cu.j2. Padding, and concatenations of padded or
  sliced arrays, are reads inside fused kernels (codegen.passes.fuse).
* batches: kernels of at most ``BATCH_MAX_GRID`` blocks (a training step's losses,
  counters, casts and bias updates: most of its kernels, little of its work) run as parts
  of one launch of one block, a barrier between parts (templates/cuda/batch.cu.j2); a
  small kernel moves ahead into the batch started last unless its memory meets that of a
  step in between. A launch costs a few microseconds of host and GPU time whatever it
  does: the batch-100 MLP step with MomentumSGD makes 12 launches instead of 31. Every
  kernel's block is one-dimensional (BLOCK threads) and walks its work with a grid-stride
  loop, so any kernel can be a part.
* host scalars: the inputs ``build`` is told are host scalars (tracegrad.compile names the
  optimizer's hyperparameters and step counters) and the 0-d values computed from them
  alone are computed on the host (codegen.passes.host, ``HostScalarProgram``): one upload
  per call, and counters returned without a copy back that would wait for the GPU.

CuPy is imported only when a program first runs, so rendering (and the nvcc
checks of the generated source) work on machines without a GPU.
"""
from __future__ import annotations

import hashlib
import math
import os
import threading
import time

import numpy

from codegen import interpreter
from codegen.backends import loops
from codegen.cache import BuildError
from codegen.ir import Graph, IRError, parse
from codegen.passes.fuse import fuse
from codegen.passes.host import split_host
from codegen.passes.plan import plan as plan_buffers
from codegen.render import render

CUDA_TYPES = {'float32': 'float', 'float64': 'double', 'int32': 'int', 'int64': 'long long',
              'bool': 'bool', 'int8': 'signed char', 'uint8': 'unsigned char'}
CUDA = loops.Dialect('CUDA', CUDA_TYPES, 'cuda_expr', restrict='__restrict__', nan='TG_NAN',
                     inf='TG_INF', true='true', false='false', int_suffix='LL',
                     function_qualifier='static __device__')
_ctype, _literal = CUDA.ctype, CUDA.literal

# Launch shapes (to be tuned on a GPU: see benchmarks/gpu_check.sh).
BLOCK = 256
MAX_GRID = 4096          # grid-stride loops cover the rest
COLUMNS_MIN_OUTPUTS = 1024  # column strategy only with this many outputs to spread over threads
BATCH_MAX_GRID = 4       # kernels of at most this many blocks run in batches of one block
NVRTC_OPTIONS = ('--std=c++17',)


def _itype(n: int) -> str:
    """32-bit index arithmetic (cheap division by constants) unless sizes need 64 bits."""
    return 'int' if n < 2 ** 31 - 2 * BLOCK * MAX_GRID else 'long long'


def _split_index(itype: str, flat: str, dims: list, shape: tuple) -> list:
    """Declarations ``const itype i{d} = ...`` that split ``flat`` over the axes ``dims`` of
    ``shape`` (row-major among those axes); axes of size 1 are left out (their index is 0)."""
    if any(shape[d] == 0 for d in dims):
        return [f'const {itype} i{d} = 0;' for d in dims]  # the loop never runs
    live = [d for d in dims if shape[d] != 1]
    lines = []
    stride = 1
    strides = {}
    for d in reversed(live):
        strides[d] = stride
        stride *= shape[d]
    for k, d in enumerate(live):
        expr = flat if strides[d] == 1 else f'{flat} / {strides[d]}'
        if k > 0:
            expr = f'{expr} % {shape[d]}' if strides[d] != 1 else f'{flat} % {shape[d]}'
        lines.append(f'const {itype} i{d} = {expr};')
    return lines


def _identity(op: str, dtype: str) -> str:
    """The identity of reduction ``op`` for ``dtype`` as a CUDA literal."""
    if op == 'sum':
        return _literal(0, dtype)
    if dtype.startswith('float'):
        return '(-TG_INF)' if op == 'max' else 'TG_INF'
    if dtype == 'bool':
        return 'false' if op == 'max' else 'true'
    info = numpy.iinfo(dtype)
    value = info.min if op == 'max' else info.max
    if value == -2 ** 63:
        return '(-9223372036854775807LL - 1)'
    return f'{value}LL'


def _grid(n: int, per_block: int) -> int:
    return max(1, min(MAX_GRID, -(-n // per_block)))


class _FusionEmitter(loops.FusionBody):
    """Renders one fusion node as one kernel over its iteration shape."""

    dialect = CUDA

    def render(self) -> tuple:
        """(the group's _Kernel, its launch dict)."""
        shape, axes = self.iteration()
        ndim = len(shape)
        self.index_type = _itype(loops.size(shape))
        index = tuple(f'i{d}' if shape[d] != 1 else '0' for d in range(ndim))
        stores, accs, acc_stores = [], [], []
        for k, o in enumerate(self.body.outputs):
            red = self.reduction(o)
            if red is None:
                stores.append(self.store(k, o, index))
                continue
            acc = f'acc{k}'
            atype = _ctype(o.dtype) if o.itemsize > 1 else 'int'
            identity = f'(({atype}){_identity(red.op, o.dtype)})'
            combine = loops.COMBINE[red.op]
            src = self.value(red.inputs[0], index)
            stores.append(f'{acc} = {combine.format(a=acc, v=src)};')
            target = loops.offset(loops.reduced_index(red, axes, index), o.shape)
            acc_stores.append(f'out{k}[{target}] = ({_ctype(o.dtype)}){acc};')
            accs.append({'ctype': atype, 'name': acc, 'identity': identity,
                         'combine_v': combine.format(a=acc, v='v')})
        statements = self.statements + stores
        comment = f'fusion of {len(self.body.nodes)} nodes over {list(shape)}'
        params = self.param_list()
        if axes is None:
            total = loops.size(shape)
            itype = _itype(total)
            launch = {'grid': (_grid(total, BLOCK),), 'block': (BLOCK,), 'work': total}
            context = {'itype': itype, 'total': total, 'statements': statements,
                       'index': _split_index(itype, 'n', list(range(ndim)), shape),
                       'comment': comment, 'launch': _fmt(launch)}
            return _Kernel(self.name, params, 'cuda/elementwise.cu.j2', None, context), launch
        kept = [d for d in range(ndim) if d not in axes]
        rows = loops.size(shape[d] for d in kept)
        length = loops.size(shape[d] for d in axes)
        itype = _itype(loops.size(shape))
        row_index = _split_index(itype, 'row', kept, shape)
        red_index = _split_index(itype, 'r', list(axes), shape)
        columns = bool(kept) and kept[-1] == ndim - 1 and shape[-1] > 1 and \
            rows >= COLUMNS_MIN_OUTPUTS
        common = {'itype': itype, 'rows': rows, 'length': length, 'row_index': row_index,
                  'red_index': red_index, 'statements': statements, 'accumulators': accs,
                  'acc_stores': acc_stores}
        if columns:
            launch = {'grid': (_grid(rows, BLOCK),), 'block': (BLOCK,), 'work': rows,
                      'strategy': 'columns'}
            return _Kernel(self.name, params, 'cuda/reduce_columns.cu.j2', None, dict(
                comment=comment + ' (columns)', launch=_fmt(launch), **common)), launch
        tpr = 32
        while tpr < BLOCK and tpr < length:
            tpr *= 2
        rpb = BLOCK // tpr
        launch = {'grid': (max(1, min(65535, -(-rows // rpb))),), 'block': (BLOCK,),
                  'work': rows, 'strategy': 'rows', 'threads_per_row': tpr}
        return _Kernel(self.name, params, 'cuda/reduce_rows.cu.j2', None, dict(
            comment=comment + ' (rows)', tpr=tpr, rpb=rpb, launch=_fmt(launch),
            **common)), launch


class _Kernel:
    """One generated kernel: its name, its parameters [(C type, name)] and how it renders
    (a template, or a macro of one, and the values it is rendered with).

    It renders as an ``extern "C" __global__`` kernel, or, when it runs as one part of a
    batch, as a device function whose pointers are not ``__restrict__`` (a part may read
    what an earlier part of the same launch wrote)."""

    __slots__ = ('context', 'macro', 'name', 'params', 'template')

    def __init__(self, name: str, params: list, template: str, macro: str | None,
                 context: dict):
        self.name, self.params, self.template = name, params, template
        self.macro, self.context = macro, context

    def text(self, batch: str | None = None) -> str:
        if batch is None:
            decls = [f'{t} __restrict__ {n}' if n != 'err' else f'{t} {n}'
                     for t, n in self.params]
            signature = f'extern "C" __global__ void {self.name}({", ".join(decls)})'
            context = self.context
        else:
            decls = [f'{t} {n}' for t, n in self.params]
            signature = f'static __device__ void {self.name}({", ".join(decls)})'
            context = dict(self.context, launch=f'runs as a part of {batch}')
        return render(self.template, _macro=self.macro, signature=signature, **context)


def _fmt(launch: dict) -> str:
    return f'grid {launch["grid"]}, block {launch["block"]}'


class _Renderer:
    """Renders a fused graph into one CUDA translation unit and a schedule of steps.

    A step is a tuple: ('kernel', name, grid, block, value ids, uses_err, n_reads) (the
    first ``n_reads`` values are read, the rest written) | ('gemm', a, b, out, transa,
    transb, beta_source[, alpha, beta]). A reshape is a view and never a step.
    ``finish()`` folds GEMM accumulations, batches small kernels and renders the source.
    """

    def __init__(self, graph: Graph, prefix: str = '', donate: dict | None = None):
        self.graph = graph
        self.prefix = prefix
        self.plan = plan_buffers(graph, donate)
        self.kernels: dict = {}      # name -> _Kernel
        self.schedule: list = []
        self.batches: dict = {}      # batch kernel name -> the kernel steps it runs
        self.constants: dict = {}
        self.stats = {'kernels': 0, 'fused_groups': 0, 'fused_nodes': 0, 'blas_calls': 0,
                      'bytes_moved': 0, 'launches': 0, 'batched_kernels': 0}

    def emit(self) -> None:
        for i, node in enumerate(self.graph.nodes):
            name = f'{self.prefix}k{i}_{node.op}'
            handler = getattr(self, f'_emit_{node.op}', None)
            if handler is None:
                raise BuildError(f'the CUDA backend has no lowering for {node.op}')
            if node.op not in ('reshape', 'constant') and all(o.size == 0 for o in node.outputs):
                continue
            handler(name, node, i + 1)
            if node.op not in ('reshape', 'constant'):
                self.stats['kernels'] += 1
                self.stats['bytes_moved'] += sum(v.size * v.itemsize for v in
                                                 list(node.inputs) + list(node.outputs))

    def finish(self, fold_beta: bool = True, batch: bool = True) -> str:
        """Fold GEMM accumulations into ``beta`` and batch small kernels (each where asked),
        then render the translation unit."""
        if fold_beta:
            self.schedule = fold_gemm_accumulation(self.graph, self.schedule, self.plan)
        if batch:
            self.schedule = self._batch_small_kernels()
        self.stats['launches'] = sum(1 for s in self.schedule if s[0] == 'kernel')
        in_batch = {part[1]: name for name, parts in self.batches.items() for part in parts}
        texts = [k.text(in_batch.get(k.name)) for k in self.kernels.values()]
        texts += [self._batch_text(name, parts) for name, parts in self.batches.items()]
        return render('cuda/program.cu.j2', kernels=texts,
                      special_functions=loops.special_functions(CUDA, texts),
                      summary=f'{len(self.graph.nodes)} nodes, {self.stats["fused_groups"]} '
                              f'fused groups, {self.stats["blas_calls"]} cuBLAS calls, '
                              f'{self.stats["launches"]} launches')

    def _launch(self, kernel: _Kernel, grid, block, values, n_reads: int, err=False):
        self.kernels[kernel.name] = kernel
        self.schedule.append(('kernel', kernel.name, tuple(grid), tuple(block),
                              tuple(v.id for v in values), err, n_reads))

    def _macro(self, macro: str, name: str, params: list, grid, values, n_reads: int,
               err: bool = False, **kw) -> None:
        """Launch a kernel of templates/cuda/ops.cu.j2 over ``grid`` blocks of BLOCK."""
        kw['launch'] = _fmt({'grid': grid, 'block': (BLOCK,)})
        self._launch(_Kernel(name, params, 'cuda/ops.cu.j2', macro, kw), grid, (BLOCK,),
                     values, n_reads, err)

    # -- batches of small kernels --
    def _access(self, step) -> tuple:
        """(value ids read, value ids written) by a step."""
        if step[0] == 'kernel':
            return step[4][:step[6]], step[4][step[6]:]
        reads = (step[1], step[2]) + ((step[6],) if step[6] is not None else ())
        return reads, (step[3],)

    def _conflict(self, first, later, values: dict) -> bool:
        """Whether step ``later`` cannot run before step ``first`` (their memory meets:
        one writes what the other reads or writes)."""
        r1, w1 = self._access(first)
        r2, w2 = self._access(later)
        return any(_overlap(self.plan, values, w, v) for w in w2 for v in r1 + w1) or \
            any(_overlap(self.plan, values, r, w) for r in r2 for w in w1)

    def _batch_small_kernels(self) -> list:
        """Kernel steps of at most BATCH_MAX_GRID blocks run together as one launch of one
        block. A small step joins the batch started last, moving ahead of the steps in
        between, when it conflicts with none of them (the buffer plan reuses memory, so
        this is decided on storage, not on value ids); else it starts a batch of its own.
        Batches of one stay plain steps."""
        values = {v.id: v for v in self.graph.inputs}
        for n in self.graph.nodes:
            for o in n.outputs:
                values[o.id] = o
        out: list = []
        open_at = None   # index in ``out`` of the batch started last
        for step in self.schedule:
            small = step[0] == 'kernel' and step[3] == (BLOCK,) and \
                math.prod(step[2]) <= BATCH_MAX_GRID
            if not small:
                out.append(step)
                continue
            if open_at is not None and not any(self._conflict(x, step, values)
                                               for x in out[open_at + 1:]):
                out[open_at][1].append(step)
            else:
                open_at = len(out)
                out.append(('batch', [step]))
        schedule = []
        for step in out:
            if step[0] != 'batch':
                schedule.append(step)
            elif len(step[1]) == 1:
                schedule.append(step[1][0])
            else:
                parts = step[1]
                name = f'{self.prefix}batch{len(self.batches)}'
                self.batches[name] = parts
                self.stats['batched_kernels'] += len(parts)
                schedule.append(('kernel', name, (1,), (BLOCK,),
                                 tuple(v for p in parts for v in p[4]),
                                 any(p[5] for p in parts), None))
        return schedule

    def _batch_text(self, name: str, parts: list) -> str:
        params, calls = [], []
        for k, part in enumerate(parts):
            args = []
            for t, n in self.kernels[part[1]].params:
                if n == 'err':
                    args.append('err')
                else:
                    params.append(f'{t} p{k}_{n}')
                    args.append(f'p{k}_{n}')
            calls.append(f'{part[1]}({", ".join(args)})')
        if any(p[5] for p in parts):
            params.append('int* err')
        return render('cuda/batch.cu.j2', name=name, params=params, calls=calls, block=BLOCK)

    # -- lowerings --
    def _emit_fusion(self, name, node, step):
        body = parse(node.attrs['body'])
        kernel, launch = _FusionEmitter(name, body).render()
        self._launch(kernel, launch['grid'], launch['block'], list(node.inputs) + node.outputs,
                     len(node.inputs))
        self.stats['fused_groups'] += 1
        self.stats['fused_nodes'] += len(body.nodes)

    def _emit_reshape(self, name, node, step):
        pass  # a view of its input

    def _emit_constant(self, name, node, step):
        v = node.outputs[0]
        self.constants[v.id] = numpy.array(node.attrs['value'], dtype=v.dtype).reshape(v.shape)

    def _emit_matmul(self, name, node, step):
        a, b = node.inputs
        out = node.outputs[0]
        if out.dtype not in ('float32', 'float64'):
            raise BuildError(f'matmul of {out.dtype} has no cuBLAS routine')
        self.schedule.append(('gemm', a.id, b.id, out.id, node.attrs['transa'],
                              node.attrs['transb'], None))
        self.stats['blas_calls'] += 1

    def _emit_gemm(self, name, node, step):
        """alpha * op(a) @ op(b) + beta * c (codegen.passes.gemm makes these for BLAS)."""
        a, b, c = node.inputs
        out = node.outputs[0]
        if out.dtype not in ('float32', 'float64'):
            raise BuildError(f'gemm of {out.dtype} has no cuBLAS routine')
        self.schedule.append(('gemm', a.id, b.id, out.id, node.attrs['transa'],
                              node.attrs['transb'], c.id, node.attrs['alpha'],
                              node.attrs['beta']))
        self.stats['blas_calls'] += 1

    def _emit_concat(self, name, node, step):
        out = node.outputs[0]
        ct = _ctype(out.dtype)
        outer, parts, total = loops.concat_parts(node)
        params = [(f'const {ct}*', f'in{k}') for k in range(len(parts))] + [(f'{ct}*', 'out')]
        self._macro('concat', name, params, (_grid(out.size, BLOCK),),
                    list(node.inputs) + [out], len(node.inputs), ctype=ct,
                    itype=_itype(out.size), outer=outer, parts=parts, total=total)

    def _index_params(self, x, idx, out) -> list:
        """Parameters of the kernels that read ``x`` at indices ``idx`` into ``out``."""
        ct = _ctype(x.dtype)
        return [(f'const {ct}*', 'x'), (f'const {_ctype(idx.dtype)}*', 'idx'), (f'{ct}*', 'out'),
                ('int*', 'err')]

    def _emit_take(self, name, node, step):
        x, idx = node.inputs
        out = node.outputs[0]
        axis = node.attrs['axis']
        outer, inner = loops.outer_inner(x.shape, axis)
        self._macro('take', name, self._index_params(x, idx, out), (_grid(out.size, BLOCK),),
                    [x, idx, out], 2, err=True, ctype=_ctype(x.dtype),
                    itype=_itype(max(out.size, x.size)), xtype=_ctype(idx.dtype), outer=outer,
                    n_idx=idx.size, axis_len=x.shape[axis], inner=inner, step=step)

    def _emit_take_along_axis(self, name, node, step):
        x, idx = node.inputs
        out = node.outputs[0]
        axis = node.attrs['axis']
        itype = _itype(max(out.size, x.size))
        index = [f'i{d}' if out.shape[d] != 1 else '0' for d in range(out.ndim)]
        x_index, idx_index = loops.take_along_axis_indices(x, idx, axis, index)
        self._macro('take_along_axis', name, self._index_params(x, idx, out),
                    (_grid(out.size, BLOCK),), [x, idx, out], 2, err=True,
                    ctype=_ctype(x.dtype), itype=itype, xtype=_ctype(idx.dtype), total=out.size,
                    index=_split_index(itype, 'n', list(range(out.ndim)), out.shape),
                    x_offset=loops.offset(x_index, x.shape),
                    idx_offset=loops.offset(idx_index, idx.shape),
                    axis_len=x.shape[axis], x_axis_stride=loops.strides(x.shape)[axis], step=step)

    def _emit_scatter_add(self, name, node, step):
        idx, upd = node.inputs
        out = node.outputs[0]
        axis = node.attrs['axis']
        ct = _ctype(out.dtype)
        atype = {'float32': 'float', 'float64': 'double', 'int32': 'int',
                 'int64': 'unsigned long long'}.get(out.dtype)
        if atype is None:
            raise BuildError(f'scatter_add of {out.dtype}: no atomicAdd for that dtype')
        itype = _itype(max(out.size, upd.size))
        self._macro('zero', f'{name}_zero', [(f'{ct}*', 'out')], (_grid(out.size, BLOCK),),
                    [out], 0, ctype=ct, itype=itype, size=out.size)
        if not upd.size:
            return
        outer, inner = loops.outer_inner(out.shape, axis)
        # out is read (accumulated into) as well as written: it counts as written
        self._macro('scatter_add', name, [(f'const {_ctype(idx.dtype)}*', 'idx'),
                                          (f'const {ct}*', 'upd'), (f'{ct}*', 'out'),
                                          ('int*', 'err')],
                    (_grid(max(upd.size, 1), BLOCK),), [idx, upd, out], 2, err=True, ctype=ct,
                    atype=atype, itype=itype, xtype=_ctype(idx.dtype), outer=outer,
                    n_idx=idx.size, axis_len=out.shape[axis], inner=inner, step=step)

    def _emit_arg(self, name, node, better):
        x = node.inputs[0]
        out = node.outputs[0]
        axis = node.attrs['axes'][0]
        ct = _ctype(x.dtype)
        outer, inner = loops.outer_inner(x.shape, axis)
        self._macro('arg_reduce', name, [(f'const {ct}*', 'x'), ('long long*', 'out')],
                    (_grid(outer * inner, BLOCK),), [x, out], 1, ctype=ct,
                    itype=_itype(x.size), outer=outer, axis_len=x.shape[axis], inner=inner,
                    better=better)

    def _emit_argmax(self, name, node, step):
        if node.inputs[0].shape[node.attrs['axes'][0]] == 0:
            raise BuildError('argmax of an empty axis')
        self._emit_arg(name, node, '>')

    def _emit_argmin(self, name, node, step):
        if node.inputs[0].shape[node.attrs['axes'][0]] == 0:
            raise BuildError('argmin of an empty axis')
        self._emit_arg(name, node, '<')


def _overlap(plan, graph_values: dict, a: int, b: int) -> bool:
    """Whether values ``a`` and ``b`` may share memory (both in the arena, ranges meet)."""
    ka, wa = plan.storage[plan.root(a)]
    kb, wb = plan.storage[plan.root(b)]
    if ka != 'arena' or kb != 'arena':
        return ka == kb and wa == wb and ka in ('input', 'output', 'static')
    va, vb = graph_values[plan.root(a)], graph_values[plan.root(b)]
    return wa < wb + vb.size * vb.itemsize and wb < wa + va.size * va.itemsize


def fold_gemm_accumulation(graph: Graph, schedule: list, plan) -> list:
    """``gemm -> t; d = add(t, c)`` becomes ``copy c -> d; gemm(beta=1) -> d``.

    Only where the add is the very next step and the GEMM result's only reader, all
    shapes agree, ``c`` exists before the GEMM, and ``d``'s storage overlaps neither
    GEMM operand (the plan may reuse their memory for ``d``). Returns the new schedule.
    """
    users = graph.users()
    values = {v.id: v for v in graph.inputs}
    for n in graph.nodes:
        for o in n.outputs:
            values[o.id] = o
    graph_outputs = {v.id for v in graph.outputs}
    defined_before: set = {v.id for v in graph.inputs}
    new = []
    k = 0
    while k < len(schedule):
        s = schedule[k]
        nxt = schedule[k + 1] if k + 1 < len(schedule) else None
        folded = False
        if s[0] == 'gemm' and s[3] not in graph_outputs and nxt is not None and \
                nxt[0] == 'kernel':
            readers = users.get(s[3], [])
            f = readers[0] if len(readers) == 1 else None
            if f is not None and f.op == 'fusion' and len(f.inputs) == 2 and \
                    len(f.outputs) == 1 and tuple(nxt[4]) == tuple(
                        v.id for v in list(f.inputs) + f.outputs):
                body = parse(f.attrs['body'])
                d = f.outputs[0]
                other = f.inputs[1] if f.inputs[0].id == s[3] else f.inputs[0]
                if len(body.nodes) == 1 and body.nodes[0].op == 'add' and \
                        d.dtype in ('float32', 'float64') and other.id != s[3] and \
                        all(v.shape == d.shape for v in f.inputs) and \
                        other.id in defined_before and \
                        not _overlap(plan, values, d.id, s[1]) and \
                        not _overlap(plan, values, d.id, s[2]) and \
                        not _overlap(plan, values, d.id, other.id):
                    new.append(('gemm', s[1], s[2], d.id, s[4], s[5], other.id))
                    defined_before.update((s[3], d.id))
                    k += 2
                    folded = True
        if not folded:
            new.append(s)
            if s[0] == 'kernel':
                defined_before.update(s[4])
            elif s[0] == 'gemm':
                defined_before.add(s[3])
            k += 1
    return new


# ---------------------------------------------------------------- run time (CuPy)
_modules: dict = {}
_modules_lock = threading.Lock()


def _module(source: str):
    """The loaded cupy.RawModule of ``source``: compiled once per process (and device)."""
    import cupy

    key = (hashlib.sha256(source.encode()).hexdigest(), cupy.cuda.Device().id)
    with _modules_lock:
        mod = _modules.get(key)
        if mod is None:
            try:
                mod = cupy.RawModule(code=source, options=NVRTC_OPTIONS)
                mod.compile()
            except Exception as e:  # noqa: BLE001 - CuPy's compile errors vary by version
                raise BuildError(f'NVRTC failed on the generated CUDA source: {e}') from None
            _modules[key] = mod
        return mod


class CudaProgram:
    """A built graph: call it with input arrays (CuPy or NumPy), get CuPy output arrays."""

    def __init__(self, graph: Graph, source: str, schedule: list, plan, constants: dict,
                 stats: dict):
        self.graph = graph
        # output index -> input index: that input's array is updated in place and returned
        self.donated = dict(plan.donated)
        self.source = source
        self.schedule = schedule
        self.stats = stats
        self.check_indices = os.environ.get('TRACEGRAD_CUDA_CHECK_INDICES', '1') != '0'
        self._plan = plan
        self._constants = constants
        self._values = {v.id: v for v in graph.inputs}
        for n in graph.nodes:
            for o in n.outputs:
                self._values[o.id] = o
        self._uses_err = any(s[0] == 'kernel' and s[5] for s in schedule)
        self._loaded = None

    def _load(self):
        import cupy

        mod = _module(self.source)
        arena = cupy.empty(max(self._plan.arena_bytes, 1), dtype=cupy.uint8)
        fixed = {}
        for vid, (kind, where) in self._plan.storage.items():
            v = self._values[vid]
            if kind == 'arena':
                nbytes = v.size * v.itemsize
                fixed[vid] = arena[where:where + nbytes].view(v.dtype).reshape(v.shape)
            elif kind == 'static':
                fixed[vid] = cupy.asarray(self._constants[vid])
        err = cupy.zeros(1, dtype=cupy.int32)
        # Where every array a step uses comes from, decided once: a fixed array (the arena,
        # a constant, the error flag) or the k-th input or output of the call, with the
        # shape the step needs (a reshape is a view). Kernels take pointers only, so they
        # need no shape. (A donated output is stored as its input: ('input', k).)
        slot_of = {vid: (1 if kind == 'input' else 2, where)
                   for vid, (kind, where) in self._plan.storage.items()
                   if kind in ('input', 'output')}

        def ref(vid, shaped=True):
            root = self._plan.root(vid)
            shape = self._values[vid].shape if shaped else None
            if root in slot_of:
                return slot_of[root] + (shape,)
            a = fixed[root]
            return 0, (a if shape is None or a.shape == shape else a.reshape(shape)), None

        steps = []
        for s in self.schedule:
            if s[0] == 'kernel':
                slots = tuple(ref(vid, shaped=False) for vid in s[4])
                if s[5]:
                    slots += ((0, err, None),)
                steps.append((mod.get_function(s[1]), s[2], s[3], slots))
            else:  # ('gemm', a, b, out, transa, transb, beta_from[, alpha, beta])
                operands = tuple(None if vid is None else ref(vid)
                                 for vid in (s[1], s[2], s[3], s[6]))
                steps.append((None,) + operands + tuple(s[4:6]) + tuple(s[7:]))
        copies = [(k, ref(vid)) for k, vid in self._plan.copies]
        self._loaded = (cupy, steps, copies, arena, err)
        return self._loaded

    def __call__(self, inputs: list) -> list:
        cupy, steps, copies, _arena, err = self._loaded or self._load()
        specs = self.graph.inputs
        if len(inputs) != len(specs):
            raise ValueError(f'compiled graph: expected {len(specs)} inputs, got {len(inputs)}')
        ins = []
        for k, (a, v) in enumerate(zip(inputs, specs)):
            if not isinstance(a, cupy.ndarray) or a.dtype != v.dtype:
                a = cupy.asarray(a, dtype=v.dtype)
            if a.shape != v.shape:
                raise ValueError(f'compiled graph: input {k} has shape {a.shape}, '
                                 f'expected {v.shape}')
            if not a.flags.c_contiguous:  # (ascontiguousarray would make a scalar 1-D)
                a = cupy.ascontiguousarray(a)
            ins.append(a)
        donated = self.donated
        outs = [ins[donated[k]] if k in donated else cupy.empty(v.shape, v.dtype)
                for k, v in enumerate(self.graph.outputs)]
        sources = (None, ins, outs)

        def array(r):
            kind, x, shape = r
            a = x if kind == 0 else sources[kind][x]
            return a if shape is None or a.shape == shape else a.reshape(shape)

        for step in steps:
            if step[0] is not None:
                fn, grid, block, slots = step
                fn(grid, block, tuple(array(r) for r in slots))
            else:
                a, b, out, c = (None if r is None else array(r) for r in step[1:5])
                self._gemm(cupy, a, b, out, c, *step[5:])
        for k, r in copies:
            outs[k][...] = array(r).reshape(outs[k].shape)
        if self._uses_err and self.check_indices:
            step = int(err.get()[0])
            if step:
                err.fill(0)
                node = self.graph.nodes[step - 1]
                raise IndexError(f'compiled graph: an index is out of range in {node.op} '
                                 f'(step {step} of {len(self.graph.nodes)})')
        return outs

    @staticmethod
    def _gemm(cupy, a, b, out, c, transa, transb, alpha=1.0, beta=1.0):
        """out = alpha * op(a) @ op(b) (+ beta * c when ``c`` is given)."""
        if c is not None:
            out[...] = c if beta == 1.0 else c * out.dtype.type(beta)
        if out.size == 0:
            return
        if a.shape[-1] * a.shape[-2] == 0 or b.shape[-1] * b.shape[-2] == 0:
            if c is None:
                out.fill(0)
            return
        if a.ndim == 2 and b.ndim == 2:
            cupy.cublas.gemm('T' if transa else 'N', 'T' if transb else 'N', a, b, out=out,
                             alpha=alpha, beta=0.0 if c is None else 1.0)
            return
        x = a.swapaxes(-1, -2) if transa else a
        y = b.swapaxes(-1, -2) if transb else b
        if c is None and alpha == 1.0:
            cupy.matmul(x, y, out=out)
        elif c is None:
            cupy.multiply(cupy.matmul(x, y), out.dtype.type(alpha), out=out)
        else:
            out += cupy.matmul(x, y) * out.dtype.type(alpha) if alpha != 1.0 else \
                cupy.matmul(x, y)


def render_source(graph: Graph, *, fused: bool = False, prefix: str = '',
                  donate: dict | None = None) -> tuple:
    """(CUDA source, renderer) of ``graph``; fuses it first unless ``fused``. ``prefix``
    starts every kernel name (so several graphs can share one translation unit).

    ``TRACEGRAD_CUDA_GEMM_BETA=0`` and ``TRACEGRAD_CUDA_BATCH=0`` turn off folding GEMM
    accumulations into ``beta`` and batching small kernels (to measure what each gains)."""
    if not fused:
        graph = fuse(graph)
    r = _Renderer(graph, prefix, donate)
    r.emit()
    source = r.finish(fold_beta=os.environ.get('TRACEGRAD_CUDA_GEMM_BETA', '1') != '0',
                      batch=os.environ.get('TRACEGRAD_CUDA_BATCH', '1') != '0')
    return source, r


def build(graph: Graph, *, fused: bool = False, donate: dict | None = None,
          host_inputs=(), host_outputs=()):
    """Fuse, plan and render ``graph``; kernels compile at the first call (cached).

    ``donate`` maps output indices to input indices whose arrays may be updated in place
    (parameters and optimizer state, as for the C backend); the program's ``donated`` says
    which were, and returns those input arrays as the outputs.

    ``host_inputs`` are the positions of inputs that arrive as host scalars (optimizer
    hyperparameters, step counters): what is computed from them alone runs on the host
    (codegen.passes.host), and the outputs at ``host_outputs`` among it come back as NumPy
    scalars, without waiting for the GPU."""
    split = None if fused else split_host(graph, host_inputs, host_outputs)
    if split is not None:
        t0 = time.perf_counter()
        device = build(split.device, donate=split.device_donate(dict(donate or {})))
        return HostScalarProgram(graph, split, device, time.perf_counter() - t0)
    t0 = time.perf_counter()
    if not fused:
        graph = fuse(graph)
    try:
        graph.validate()
    except IRError as e:
        raise BuildError(f'the fused graph is invalid: {e}') from None
    source, renderer = render_source(graph, fused=True, donate=donate)
    schedule = renderer.schedule
    stats = dict(renderer.stats)
    stats.update(backend='cuda', build_seconds=time.perf_counter() - t0,
                 arena_bytes=renderer.plan.arena_bytes,
                 donated_outputs=len(renderer.plan.donated),
                 blas_beta_folds=sum(1 for s in schedule if s[0] == 'gemm' and s[6] is not None))
    return CudaProgram(graph, source, schedule, renderer.plan, renderer.constants, stats)


class HostScalarProgram:
    """A CUDA program whose host-scalar part runs on the host (codegen.passes.host).

    Called like a CudaProgram with the original graph's inputs; returns its outputs, the
    host ones as NumPy 0-d arrays. Per call: the host part on the reference interpreter,
    one upload of the scalars the device part reads, the device program."""

    def __init__(self, graph: Graph, split, device: CudaProgram, seconds: float):
        self.graph = graph
        self.split = split
        self.device = device
        self.source = device.source
        self.schedule = device.schedule
        self.stats = dict(device.stats, build_seconds=seconds,
                          host_nodes=len(split.host.nodes), host_uploads=split.n_uploads)
        d_out = {j: k for k, (kind, j) in enumerate(split.outputs) if kind == 'device'}
        self.donated = {d_out[o]: split.device_inputs[i] for o, i in device.donated.items()}
        self._dtypes = [numpy.dtype(v.dtype) for v in split.host.outputs[:split.n_uploads]]

    def __call__(self, inputs: list) -> list:
        import cupy

        split = self.split
        if len(inputs) != len(self.graph.inputs):
            raise ValueError(f'compiled graph: expected {len(self.graph.inputs)} inputs, '
                             f'got {len(inputs)}')
        host_in = []
        for k in split.host_inputs:
            a = inputs[k]
            if isinstance(a, cupy.ndarray):
                a = a.get()  # a device scalar where a host one was expected: works, waits
            host_in.append(numpy.asarray(a, dtype=self.graph.inputs[k].dtype))
        values = interpreter.run(split.host, host_in)
        n = split.n_uploads
        feeds = [inputs[k] for k in split.device_inputs]
        if n:  # every upload in one copy: 8 bytes a scalar
            packed = numpy.zeros(8 * n, dtype=numpy.uint8)
            for j, (value, dtype) in enumerate(zip(values[:n], self._dtypes)):
                packed[8 * j:8 * j + dtype.itemsize] = numpy.asarray(
                    value, dtype=dtype).reshape(1).view(numpy.uint8)
            up = cupy.asarray(packed)
            feeds += [up[8 * j:8 * j + dtype.itemsize].view(dtype).reshape(())
                      for j, dtype in enumerate(self._dtypes)]
        outs = self.device(feeds)
        host_outs = values[n:]
        return [host_outs[j] if kind == 'host' else outs[j] for kind, j in split.outputs]


def nvcc_check(source: str, workdir: str, arch: str = 'sm_90',
               nvcc: str | None = None) -> tuple:
    """Compile ``source`` with ``nvcc -arch=<arch> -c``; returns (ok, seconds, stderr)."""
    import shutil
    import subprocess

    nvcc = nvcc or shutil.which('nvcc')
    if not nvcc:
        raise BuildError('nvcc is not installed')
    path = os.path.join(workdir, 'tg_' + hashlib.sha256(source.encode()).hexdigest()[:16] + '.cu')
    with open(path, 'w') as f:
        f.write(source)
    t0 = time.perf_counter()
    proc = subprocess.run([nvcc, f'-arch={arch}', '-std=c++17', '-c', path, '-o',
                           path[:-3] + '.o'],
                          check=False, capture_output=True, text=True, timeout=600)
    return proc.returncode == 0, time.perf_counter() - t0, proc.stderr


# ---------------------------------------------------------------- fused linear kernels
# activation -> (expression of the pre-activation v, derivative expressed through the output y)
LINEAR_ACTIVATIONS = {
    'none': ('{0}', '({t})1'),
    'relu': ('({0} > ({t})0 ? {0} : ({t})0)', '({0} > ({t})0 ? ({t})1 : ({t})0)'),
}
# Compiled programs do not use these kernels: there a linear layer is a cuBLAS GEMM followed
# by one generated kernel for bias + activation (+ its mask), and in the backward one for the
# mask + bias-gradient reduction. Whether the fused kernels beat that plan is for a GPU to
# say (benchmarks/gpu_check.sh times both); no GPU run exists yet, so nothing lowers to them.


def render_linear_kernels(dtype: str = 'float32', activation: str = 'relu',
                          prefix: str = '', tile: tuple = (64, 64, 16, 4, 4)) -> str:
    """CUDA source of the fused linear forward (GEMM + bias + activation epilogue) and
    backward (activation-gradient mask + bias-grad reduction) kernels for ``dtype``.

    ``tile`` = (BM, BN, BK, TM, TN): block tile and per-thread tile of the forward GEMM.
    """
    if dtype not in ('float32', 'float64'):
        raise BuildError(f'fused linear kernels need float32 or float64, got {dtype}')
    try:
        act, grad = LINEAR_ACTIVATIONS[activation]
    except KeyError:
        raise BuildError(f'unknown activation {activation!r}; known: '
                         f'{", ".join(LINEAR_ACTIVATIONS)}') from None
    bm, bn, bk, tm, tn = tile
    if bm % tm or bn % tn or (bm // tm) * (bn // tn) > 1024:
        raise BuildError(f'bad linear tile {tile}')
    ctype = _ctype(dtype)
    return render('cuda/program.cu.j2', summary=f'fused linear ({activation}, {dtype})',
                  special_functions='',
                  kernels=[render('cuda/linear.cu.j2', prefix=prefix, ctype=ctype,
                                  activation=activation, bm=bm, bn=bn, bk=bk, tm=tm, tn=tn,
                                  act_expr=act.replace('{t}', ctype).replace('{0}', '{0}'),
                                  grad_expr=grad.replace('{t}', ctype))])


class FusedLinear:
    """Runs the fused linear kernels on CuPy arrays (for benchmarks and the gpu tests).

    ``forward(x, W, b) -> y``; ``backward(x, W, y, gy) -> (gx, gW, gb)`` with the two
    GEMMs of the backward on cuBLAS."""

    def __init__(self, dtype: str = 'float32', activation: str = 'relu',
                 tile: tuple = (64, 64, 16, 4, 4)):
        self.tile = tile
        self.source = render_linear_kernels(dtype, activation, tile=tile)
        self._mod = None

    def _fn(self, name):
        if self._mod is None:
            self._mod = _module(self.source)
        return self._mod.get_function(name)

    def forward(self, x, W, b):
        import cupy

        M, K = x.shape
        N = W.shape[0]
        bm, bn, _, tm, tn = self.tile
        y = cupy.empty((M, N), x.dtype)
        self._fn('linear_forward')(((N + bn - 1) // bn, (M + bm - 1) // bm),
                                   (bn // tn, bm // tm),
                                   (x, W, b, y, numpy.int32(M), numpy.int32(N), numpy.int32(K)))
        return y

    def backward(self, x, W, y, gy):
        import cupy

        M, N = gy.shape
        gpre = cupy.empty_like(gy)
        gb = cupy.empty((N,), gy.dtype)
        self._fn('linear_backward_bias')(((N + 31) // 32,), (32, 8),
                                         (gy, y, gpre, gb, numpy.int32(M), numpy.int32(N)))
        gx = cupy.empty((M, W.shape[1]), gy.dtype)
        gW = cupy.empty(W.shape, gy.dtype)
        cupy.cublas.gemm('N', 'N', gpre, W, out=gx)
        cupy.cublas.gemm('T', 'N', gpre, x, out=gW)
        return gx, gW, gb
