"""The CUDA backend without a GPU: render every primitive and whole training steps, and
compile the generated source with ``nvcc -arch=sm_90`` (skipped when nvcc is absent).

nvcc is slow (seconds per translation unit even for small files), so the kernels of many
graphs share one translation unit (``render_source(..., prefix=...)`` keeps their names
apart) and each unit is compiled once per module. Numerical checks of the same kernels
run in tests/gpu/: on a GPU, or on the CPU stand-in for CuPy (TRACEGRAD_HOST_CUPY=1).
"""
import os
import shutil
import subprocess
import time

import numpy as np
import pytest

from codegen import Graph, all_primitives
from codegen.backends import cuda, get_backend
from codegen.ir import parse
from codegen.passes.fuse import fuse

NVCC = shutil.which('nvcc')
needs_nvcc = pytest.mark.skipif(NVCC is None, reason='nvcc (the CUDA compiler) is not installed')
ARCH = os.environ.get('TRACEGRAD_NVCC_ARCH', 'sm_90')


def primitive_cases() -> dict:
    """{primitive name: [cases]}: one case per dtype of tests/kernels/test_primitives.py."""
    from test_primitives import CASES

    picked = {}
    for name, cases in CASES.items():
        seen, sel = set(), []
        for c in cases:
            if c.dtype not in seen:
                seen.add(c.dtype)
                sel.append(c)
        picked[name] = sel
    return picked


def primitive_graph(name: str, cases: list) -> Graph:
    from test_primitives import build_graph

    return build_graph(name, cases)[0]


# ---------------------------------------------------------------- models traced to graphs
def _models():
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L

    class MLP(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(6, 9)
                self.l2 = L.Linear(9, 4)

        def forward(self, x):
            return self.l2(F.relu(self.l1(x)))

    class CNN(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.conv = L.Convolution2D(2, 4, ksize=3, pad=1)
                self.bn = L.BatchNormalization(4)
                self.fc = L.Linear(4 * 3 * 3, 3)

        def forward(self, x):
            h = F.relu(self.bn(self.conv(x)))
            h = F.max_pooling_2d(h, 2, stride=2)
            h = F.dropout(h, 0.3)
            return self.fc(h)

    return MLP, CNN


def traced_step_graph(kind: str, optimizer: str = 'Adam') -> Graph:
    """The optimised IR of one training step (Classifier, loss.backward, update)."""
    import tracegrad
    import tracegrad.links as L
    from tracegrad import optimizers
    from tracegrad.testing import training_step

    MLP, CNN = _models()
    np.random.seed(0)
    model = L.Classifier(MLP() if kind == 'mlp' else CNN())
    opt = getattr(optimizers, optimizer)().setup(model)
    compiled = tracegrad.compile(training_step(model, opt), backend='reference')
    shape = (4, 6) if kind == 'mlp' else (2, 2, 6, 6)
    x = np.random.randn(*shape).astype(np.float32)
    t = np.random.randint(0, 3, shape[0]).astype(np.int32)
    compiled(x, t)
    return parse(compiled.ir)


# ---------------------------------------------------------------- nvcc
_compiled: dict = {}


def nvcc_compile(key: str, sources: list, tmp_path_factory) -> float:
    """Compile the sources as one translation unit (once per key); returns nvcc's seconds."""
    if key in _compiled:
        return _compiled[key]
    workdir = str(tmp_path_factory.mktemp(f'cuda_{key}'))
    ok, seconds, stderr = cuda.nvcc_check('\n'.join(sources), workdir, arch=ARCH, nvcc=NVCC)
    assert ok, f'nvcc failed on the generated CUDA ({key}):\n{stderr[-6000:]}'
    assert 'error' not in stderr.lower(), stderr[-3000:]
    _compiled[key] = seconds
    print(f'nvcc {ARCH} {key}: {seconds:.1f} s')
    return seconds


# ---------------------------------------------------------------- rendering (no nvcc)
@pytest.mark.parametrize('name', [p.name for p in all_primitives()])
def test_every_primitive_renders(name):
    """A one-node graph of every registered primitive renders CUDA (per dtype case)."""
    cases = primitive_cases()[name]
    assert cases, f'{name}: no cases in test_primitives.py'
    source, renderer = cuda.render_source(primitive_graph(name, cases))
    assert 'TG_INF' in source
    if name not in ('reshape', 'constant'):
        assert renderer.stats['kernels'] >= 1
    if name in ('matmul', 'gemm'):
        assert [s[0] for s in renderer.schedule] == ['gemm'] * len(cases)  # cuBLAS
    elif name not in ('reshape', 'constant'):
        assert source.count('extern "C" __global__') >= 1
    for step in renderer.schedule:
        if step[0] == 'kernel':
            assert f'void {step[1]}(' in source
            assert all(1 <= g for g in step[2]) and all(1 <= b <= 1024 for b in step[3])
            n_threads = 1
            for b in step[3]:
                n_threads *= b
            assert n_threads <= 1024


def test_backend_is_registered_and_builds_without_cupy():
    g = Graph()
    x = g.input((3, 5), 'float32', name='x')
    y = g.add('exp', [x])
    s = g.add('sum', [y], axes=(1,))
    g.set_outputs([y, s])
    prog = get_backend('cuda').build(g)
    assert prog.stats['backend'] == 'cuda'
    assert prog.stats['fused_groups'] == 1 and prog.stats['launches'] == 1
    assert 'expf(' in prog.source and '__shfl_down_sync' in prog.source


def _reduction_launch(shape, axes):
    """(the launch step, the kernel's text) of a sum of squares over ``axes``."""
    g = Graph()
    x = g.input(shape, 'float32')
    g.set_outputs([g.add('sum', [g.add('mul', [x, x])], axes=axes)])
    source, r = cuda.render_source(g)
    (step,) = [s for s in r.schedule if s[0] == 'kernel']
    return step, source


def test_reduction_strategies():
    # every kernel's block is one-dimensional (so any of them can run in a batch)
    # trailing axis, long rows: 256 threads per row, shared memory across warps
    step, source = _reduction_launch((10, 1000), (1,))
    assert step[3] == (256,) and step[2] == (10,) and '1 rows of 256 threads' in source
    # short rows: a warp per row, 8 rows per block
    step, source = _reduction_launch((100, 10), (1,))
    assert step[3] == (256,) and step[2] == (13,) and '8 rows of 32 threads' in source
    # leading axis with many outputs: a thread per output (coalesced columns)
    step, source = _reduction_launch((16, 4096), (0,))
    assert step[3] == (cuda.BLOCK,) and step[2] == (4096 // cuda.BLOCK,)
    assert '(columns)' in source
    # BatchNorm-like statistics (keep the channel axis): one row per channel
    step, source = _reduction_launch((2, 3, 4, 5), (0, 2, 3))
    assert step[3] == (256,) and step[2] == (1,) and '4 rows of 64 threads' in source


def test_gemm_accumulation_folds_into_beta():
    g = Graph()
    a = g.input((4, 3), 'float32')
    b = g.input((5, 3), 'float32')
    c = g.input((4, 5), 'float32')
    m = g.add('matmul', [a, b], transb=True)
    g.set_outputs([g.add('add', [m, c])])
    prog = cuda.build(g)
    gemms = [s for s in prog.schedule if s[0] == 'gemm']
    assert len(gemms) == 1 and gemms[0][6] == c.id
    assert not [s for s in prog.schedule if s[0] == 'kernel']
    assert prog.stats['blas_beta_folds'] == 1
    # a broadcast bias is not folded (it would need a broadcast copy first)
    g = Graph()
    a = g.input((4, 3), 'float32')
    b = g.input((5, 3), 'float32')
    bias = g.input((5,), 'float32')
    m = g.add('matmul', [a, b], transb=True)
    g.set_outputs([g.add('add', [m, bias])])
    prog = cuda.build(g)
    assert [s[6] for s in prog.schedule if s[0] == 'gemm'] == [None]


def test_training_step_kernel_counts(monkeypatch):
    """Kernel counts of known models: a fusion regression shows up here. These models are
    tiny, so nearly every kernel fits in a few blocks and runs in a batch."""
    for kind, max_kernels, max_launches in (('mlp', 30, 5), ('cnn', 60, 10)):
        _, r = cuda.render_source(traced_step_graph(kind))
        assert r.stats['blas_calls'] == 5, kind
        assert r.stats['kernels'] - r.stats['blas_calls'] <= max_kernels, (kind, r.stats)
        assert r.stats['launches'] <= max_launches, (kind, r.stats)
        monkeypatch.setenv('TRACEGRAD_CUDA_BATCH', '0')
        _, plain = cuda.render_source(traced_step_graph(kind))
        monkeypatch.delenv('TRACEGRAD_CUDA_BATCH')
        assert plain.stats['launches'] == r.stats['launches'] + r.stats['batched_kernels'] \
            - len(r.batches), kind


def hazard_graph(n: int = 1000):
    """Small kernels between big ones, some of which may move ahead and some may not.

    p, b: (8,), donated (updated in place); x: (n, 8); w: (n, 3). Outputs, in order:
      e = exp(p)            small: starts a batch
      y = x * b             big, reads b
      b_new = b - 1         small, updates b in place: must stay after y (y reads the old b)
      c = neg(p)            small and independent: joins e's batch
      u = (w^T w) * 2       a GEMM, then a small kernel that must stay after it
      p_new = p * 0.5       small, updates p in place: after e and c, which read p
      t = w^T w
    Returns (graph, donate).
    """
    g = Graph()
    p = g.input((8,), 'float32', name='p')
    b = g.input((8,), 'float32', name='b')
    x = g.input((n, 8), 'float32', name='x')
    w = g.input((n, 3), 'float32', name='w')

    def scalar(value):
        return g.add('fill', [], shape=(), value=value, dtype='float32')
    e = g.add('exp', [p])
    y = g.add('mul', [x, g.add('broadcast_to', [b], shape=(n, 8))])
    b_new = g.add('sub', [b, scalar(1.0)])
    c = g.add('neg', [p])
    t = g.add('matmul', [w, w], transa=True, transb=False)
    u = g.add('mul', [t, scalar(2.0)])
    p_new = g.add('mul', [p, scalar(0.5)])
    g.set_outputs([e, y, b_new, c, u, p_new, t])
    return g, {2: 1, 5: 0}


def test_small_kernels_move_into_a_batch_only_where_memory_allows():
    g, donate = hazard_graph()
    _, r = cuda.render_source(g, donate=donate)
    assert r.plan.donated == donate
    at = {}  # output index -> (schedule position, position within its batch)
    outputs = {v.id: k for k, v in enumerate(g.outputs)}
    for pos, step in enumerate(r.schedule):
        parts = r.batches.get(step[1], [step]) if step[0] == 'kernel' else []
        for k, part in enumerate(parts):
            for vid in part[4][part[6]:]:
                if vid in outputs:
                    at[outputs[vid]] = (pos, k)
        if step[0] == 'gemm':
            at[outputs[step[3]]] = (pos, 0)
    assert at[2] > at[1]            # b's update after the big kernel that reads b
    assert at[4] > at[6]            # u after the GEMM it reads
    assert at[5] > at[0] and at[5] > at[3]  # p's update after e and c, which read p
    assert at[3][0] < at[6][0]      # c moved ahead of the GEMM into a batch
    # e; the big kernel; a batch (b's update, c); the GEMM; a batch (u, p's update)
    assert r.stats['launches'] == 4 and len(r.batches) == 2, r.schedule
    assert r.schedule[1][2][0] > cuda.BATCH_MAX_GRID and r.schedule[1][1] not in r.batches


def test_batched_parts_are_device_functions_without_restrict():
    g, donate = hazard_graph()
    source, r = cuda.render_source(g, donate=donate)
    for name, parts in r.batches.items():
        assert f'extern "C" __global__ void {name}(' in source
        for part in parts:
            head = source[source.index(f'static __device__ void {part[1]}('):]
            assert '__restrict__' not in head[:head.index(')')]
    big = [s[1] for s in r.schedule if s[0] == 'kernel' and s[1] not in r.batches]
    assert big and all(f'extern "C" __global__ void {n}(' in source for n in big)


# ---------------------------------------------------------------- nvcc
@needs_nvcc
def test_primitives_compile_with_nvcc(tmp_path_factory):
    sources = []
    for k, (name, cases) in enumerate(sorted(primitive_cases().items())):
        source, _ = cuda.render_source(primitive_graph(name, cases), prefix=f'p{k}_')
        sources.append(source)
    for k, (shape, axes) in enumerate((((10, 1000), (1,)), ((16, 4096), (0,)),
                                       ((2, 3, 4, 5), (0, 2, 3)), ((7,), (0,)))):
        g = Graph()
        x = g.input(shape, 'float64')
        g.set_outputs([g.add('max', [g.add('exp', [x])], axes=axes, keepdims=True)])
        sources.append(cuda.render_source(g, prefix=f'r{k}_')[0])
    sources.append(cuda.render_linear_kernels('float32', 'relu', prefix='lin_'))
    sources.append(cuda.render_linear_kernels('float64', 'none', prefix='lin64_'))
    nvcc_compile('primitives', sources, tmp_path_factory)


@needs_nvcc
def test_training_steps_compile_with_nvcc(tmp_path_factory):
    t0 = time.perf_counter()
    sources = []
    for kind, optimizer, batch in (('mlp', 'Adam', '1'), ('cnn', 'Adam', '1'),
                                   ('mlp', 'MomentumSGD', '1'), ('cnn', 'Adam', '0')):
        graph = traced_step_graph(kind, optimizer)
        # batched: small kernels as device functions called by batch kernels; not: all global
        os.environ['TRACEGRAD_CUDA_BATCH'] = batch
        try:
            source, r = cuda.render_source(graph, prefix=f'{kind}_{optimizer.lower()}{batch}_')
        finally:
            del os.environ['TRACEGRAD_CUDA_BATCH']
        assert r.stats['blas_calls'] == 5
        assert bool(r.batches) == (batch == '1')
        sources.append(source)
    g, donate = hazard_graph()
    sources.append(cuda.render_source(g, donate=donate, prefix='hazard_')[0])
    assert time.perf_counter() - t0 < 60
    nvcc_compile('training_steps', sources, tmp_path_factory)


@needs_nvcc
def test_nvcc_reports_errors(tmp_path):
    """The check itself can fail: broken CUDA is reported with nvcc's message."""
    ok, _, stderr = cuda.nvcc_check('extern "C" __global__ void k(float* x) { x[0] = y; }',
                                    str(tmp_path), arch=ARCH, nvcc=NVCC)
    assert not ok and 'identifier "y" is undefined' in stderr


def test_nvcc_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, 'which', lambda name: None)
    with pytest.raises(cuda.BuildError, match='nvcc is not installed'):
        cuda.nvcc_check('', str(tmp_path))


def test_rendering_does_not_import_cupy():
    code = ('import sys; from codegen import Graph; from codegen.backends import cuda\n'
            'g = Graph(); x = g.input((2, 3), "float32"); g.set_outputs([g.add("neg", [x])])\n'
            'cuda.build(g); assert "cupy" not in sys.modules')
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run(['python3', '-c', code], check=True, cwd=root)


def test_fused_graph_is_rendered_unchanged():
    """build(fused=True) renders a graph the caller fused, with the same groups as C."""
    graph = fuse(traced_step_graph('mlp'))
    n_fusions = sum(1 for n in graph.nodes if n.op == 'fusion')
    prog = cuda.build(graph, fused=True)
    assert prog.stats['fused_groups'] == n_fusions
