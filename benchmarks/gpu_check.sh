#!/usr/bin/env bash
# The GPU checks of issue 6 in one script (target: under 8 minutes on an H100).
#
#   benchmarks/gpu_check.sh --prepare   # here, with network: wheels into .whl/ (git-ignored)
#   benchmarks/gpu_check.sh             # on the GPU machine (no network), from the repo root
#   benchmarks/gpu_check.sh --dry-run   # anywhere: every step that needs no GPU
#
# On the GPU machine it installs the project and its missing dependencies from .whl/
# (carried along: the device tool's `carry: [".whl"]`), then
#   1. runs tests/gpu (every IR primitive on CuPy, compiled CUDA training equals eager CuPy
#      training after 20 steps, links, optimizers, hooks, serializers, the updater and the
#      MNIST example on @cupy:0),
#   2. benchmarks the MLP (batch 100, MNIST-size), the wide MLP (batch 1024) and the CNN
#      training steps: tracegrad eager on CuPy, tracegrad compiled (backend='cuda'),
#      PyTorch eager, torch.compile, and the cuBLAS GEMM floor of each step; plus the fused
#      linear kernels against cuBLAS + elementwise (the evidence for lowering compiled
#      linear layers to them),
#   3. runs the *_gpu variants of every function test (tests/functions, -m gpu),
# writing logs and the table gpu_bench.md under $OUT (a temporary folder if OUT is unset).
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-run}
PY=${PYTHON:-python3}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

if [ "$MODE" = "--prepare" ]; then
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    mkdir -p .whl
    rm -f .whl/tracegrad-*.whl  # tracegrad runs from the checkout there (see below)
    # the GPU image has numpy, jinja2, CuPy, PyTorch, pytest; cffi (C backend) is not there
    $PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl cffi pycparser || exit 1
    ls -l .whl
    exit 0
fi

DRY=0
[ "$MODE" = "--dry-run" ] && DRY=1

if [ $DRY = 0 ] && ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
# The checkout comes first, so the tests and the benchmark see the working tree. Its C hot
# path is built in place for this machine's Python (a wheel built here would be for this
# Python's version, not that one's); without it tracegrad runs its pure-Python path.
export PYTHONPATH=$PWD:${PYTHONPATH:-}
if [ $DRY = 0 ]; then
    $PY setup.py -q build_ext --inplace >"$OUT/build_ext.log" 2>&1 \
        || echo "gpu_check: the C hot path did not build (see build_ext.log); pure Python"
fi

{
    echo "# GPU check $(date -u +%Y-%m-%dT%H:%MZ)"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
        || echo "no nvidia-smi"
    nvcc --version 2>/dev/null | tail -1
    $PY -c 'import cupy; print("cupy", cupy.__version__)' 2>&1 | tail -1
    $PY -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' 2>&1 | tail -1
    $PY -c 'import tracegrad._native as n; print("tracegrad C hot path", n.ENABLED)' 2>&1 | tail -1
} | tee "$OUT/environment.txt"

STATUS=0
if [ $DRY = 0 ]; then
    timeout 150 $PY -m pytest -q -m gpu tests/gpu -p no:cacheprovider -n 4 2>&1 \
        | tee "$OUT/gpu_tests.log" | tail -5 || STATUS=1
else
    # the same GPU tests on the CPU stand-in for CuPy (tests/host_cupy), plus rendering
    TRACEGRAD_HOST_CUPY=1 timeout 300 $PY -m pytest -q -m gpu tests/gpu tests/functions \
        -p no:cacheprovider 2>&1 | tail -3 || STATUS=1
    timeout 240 $PY -m pytest -q tests/kernels/test_cuda_render.py tests/test_host_cupy.py \
        -p no:cacheprovider 2>&1 | tail -3 || STATUS=1
fi

timeout 200 $PY - "$DRY" "$OUT" <<'PYEOF' 2>&1 | tee "$OUT/bench.log"
import copy
import os
import statistics
import sys
import time
import traceback

import numpy as np

DRY = sys.argv[1] == '1'
OUT = sys.argv[2]
rows = []
failures = []
if DRY:  # the benchmark code runs once, at batch 4, on the CPU stand-in for CuPy
    sys.path.append(os.path.join(os.getcwd(), 'tests'))
    import host_cupy

    sys.modules['cupy'] = host_cupy.module()


def timed(fn, sync, repeat=30, warmup=5):
    """Median milliseconds per call (after warm-up), synchronising the device around each."""
    if DRY:
        repeat, warmup = 1, 0
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def guarded(label, fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - record and go on: the table must come out
        traceback.print_exc()
        print(f'{label}: FAILED {type(e).__name__}: {e}', flush=True)
        failures.append(label)
        return None


import tracegrad  # noqa: E402
import tracegrad.functions as F  # noqa: E402
import tracegrad.links as L  # noqa: E402
from benchmarks.compile import make_cnn as CNN  # noqa: E402  (the CPU benchmark's CNN)
from tracegrad.testing import training_step as step_of  # noqa: E402
from tracegrad import optimizers  # noqa: E402


class MLP(tracegrad.Chain):
    def __init__(self, n_in, n_units, n_out):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(n_in, n_units)
            self.l2 = L.Linear(n_units, n_units)
            self.l3 = L.Linear(n_units, n_out)

    def forward(self, x):
        return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))


CASES = [  # name, model factory, input shape, (GEMM shapes m, k, n of one forward)
    ('mlp b100 784-1000-1000-10', lambda: MLP(784, 1000, 10), (100, 784),
     [(100, 784, 1000), (100, 1000, 1000), (100, 1000, 10)]),
    ('wide b1024 1024-4096-4096-10', lambda: MLP(1024, 4096, 10), (1024, 1024),
     [(1024, 1024, 4096), (1024, 4096, 4096), (1024, 4096, 10)]),
    ('cnn b64 1x28x28', CNN, (64, 1, 28, 28), None),
]


def dry_run():
    from codegen.backends import cuda
    from codegen.ir import parse
    for name, make, shape, _ in CASES:
        np.random.seed(0)
        model = L.Classifier(make())
        step = tracegrad.compile(step_of(model, optimizers.MomentumSGD(0.01).setup(model)),
                                 backend='reference')
        small = (4,) + shape[1:]
        step(np.random.rand(*small).astype(np.float32),
             np.random.randint(0, 10, small[0]).astype(np.int32))
        source, r = cuda.render_source(parse(step.ir))
        print(f'{name}: rendered {r.stats["launches"]} kernel launches, '
              f'{r.stats["blas_calls"]} cuBLAS calls, {len(source)} characters of CUDA')
    cuda.render_linear_kernels('float32', 'relu')
    print('dry run: rendering works; timings need a GPU')


def bench_tracegrad(make, shape, compiled, batch=True):
    """ms per step; ``batch=False`` builds the compiled step without batches of small
    kernels (each kernel its own launch), to show what batching gains."""
    import cupy
    np.random.seed(0)
    model = L.Classifier(make())
    model.to_device('@cupy:0')
    opt = optimizers.MomentumSGD(0.01).setup(model)
    step = step_of(model, opt)
    if compiled:
        step = tracegrad.compile(step, backend='cuda')
    x = cupy.asarray(np.random.rand(*shape).astype(np.float32))
    t = cupy.asarray(np.random.randint(0, 10, shape[0]).astype(np.int32))
    os.environ['TRACEGRAD_CUDA_BATCH'] = '1' if batch else '0'  # read when the step builds
    try:
        ms = timed(lambda: step(x, t), cupy.cuda.Device().synchronize)
    finally:
        del os.environ['TRACEGRAD_CUDA_BATCH']
    if compiled:
        stats = step.statistics()
        print(f'  compiled step ({"batched" if batch else "unbatched"}): {stats["launches"]} '
              f'launches, {stats["blas_calls"]} cuBLAS calls', flush=True)
    return ms


def bench_torch(make_name, shape, use_compile):
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    if make_name.startswith('cnn'):
        net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    else:
        n_in, n_units = shape[1], 1000 if make_name.startswith('mlp') else 4096
        net = nn.Sequential(nn.Linear(n_in, n_units), nn.ReLU(), nn.Linear(n_units, n_units),
                            nn.ReLU(), nn.Linear(n_units, 10))
    net = net.cuda()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, t):
        loss = loss_fn(net(x), t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    if use_compile:
        step = torch.compile(step)
    x = torch.rand(*shape, device='cuda')
    t = torch.randint(0, 10, (shape[0],), device='cuda')
    return timed(lambda: step(x, t), torch.cuda.synchronize, warmup=10)


def gemm_floor(gemms):
    """The cuBLAS time of a step's GEMMs alone: per layer y = x W^T, gx = gy W, gW = gy^T x."""
    import cupy
    if gemms is None:
        return None
    ops = []
    for m, k, n in gemms:
        x = cupy.random.rand(m, k, dtype=cupy.float32)
        W = cupy.random.rand(n, k, dtype=cupy.float32)
        gy = cupy.random.rand(m, n, dtype=cupy.float32)
        y = cupy.empty((m, n), cupy.float32)
        gx = cupy.empty((m, k), cupy.float32)
        gW = cupy.empty((n, k), cupy.float32)
        ops.append((x, W, gy, y, gx, gW))

    def run():
        for i, (x, W, gy, y, gx, gW) in enumerate(ops):
            cupy.cublas.gemm('N', 'T', x, W, out=y)
            if i > 0:  # the first layer's input gradient is not needed
                cupy.cublas.gemm('N', 'N', gy, W, out=gx)
            cupy.cublas.gemm('T', 'N', gy, x, out=gW)
    return timed(run, cupy.cuda.Device().synchronize)


def fused_linear_vs_cublas(shapes=((100, 784, 1000), (1024, 4096, 4096))):
    """Forward+backward of relu(linear) at batch 100 and 1024: fused kernels vs cuBLAS + CuPy."""
    import cupy

    from codegen.backends.cuda import FusedLinear
    lines = []
    for m, k, n in shapes:
        x = cupy.random.rand(m, k, dtype=cupy.float32)
        W = cupy.random.rand(n, k, dtype=cupy.float32) / k
        b = cupy.random.rand(n, dtype=cupy.float32)
        gy = cupy.random.rand(m, n, dtype=cupy.float32)
        lin = FusedLinear('float32', 'relu')

        def fused():
            y = lin.forward(x, W, b)
            lin.backward(x, W, y, gy)

        def plain():
            y = cupy.maximum(x @ W.T + b, 0)
            gpre = gy * (y > 0)
            gpre.sum(0)
            gpre @ W
            gpre.T @ x

        sync = cupy.cuda.Device().synchronize
        lines.append(f'| relu(linear) fwd+bwd {m}x{k}x{n} | fused kernels '
                     f'{timed(fused, sync):.3f} ms | cuBLAS + elementwise {timed(plain, sync):.3f} ms |')
    return lines


if DRY:
    dry_run()
    for name, make, shape, gemms in CASES:
        small = (4,) + shape[1:]
        for compiled, batch in ((False, True), (True, True), (True, False)):
            label = ('compiled' if batch else 'compiled unbatched') if compiled else 'eager'
            ms = guarded(f'{name} {label} (host, batch 4)',
                         lambda: bench_tracegrad(make, small, compiled, batch))
            if ms is not None:
                print(f'{name}: {label} step ran on the CPU stand-in ({ms:.0f} ms, first '
                      f'call)', flush=True)
        guarded(f'{name} floor (host)',
                lambda: gemm_floor(None if gemms is None else [(4, k, n) for _, k, n in gemms]))
    guarded('fused linear (host)', lambda: fused_linear_vs_cublas(((4, 64, 96),)))
    print(f'dry run: the benchmark code ran on the CPU stand-in; {len(failures)} failed')
    sys.exit(1 if failures else 0)

import cupy  # noqa: E402

table = ['| step | tracegrad eager (CuPy) ms | compiled CUDA ms | compiled, unbatched ms | '
         'PyTorch eager ms | torch.compile ms | cuBLAS GEMM floor ms |',
         '|---|---|---|---|---|---|---|']
for name, make, shape, gemms in CASES:
    eager = guarded(f'{name} eager', lambda: bench_tracegrad(make, shape, False))
    comp = guarded(f'{name} compiled', lambda: bench_tracegrad(make, shape, True))
    unbatched = guarded(f'{name} compiled unbatched',
                        lambda: bench_tracegrad(make, shape, True, batch=False))
    t_eager = guarded(f'{name} torch', lambda: bench_torch(name, shape, False))
    t_comp = guarded(f'{name} torch.compile', lambda: bench_torch(name, shape, True))
    floor = guarded(f'{name} floor', lambda: gemm_floor(gemms))
    cells = ['-' if v is None else f'{v:.3f}'
             for v in (eager, comp, unbatched, t_eager, t_comp, floor)]
    table.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    print(table[-1], flush=True)
fused = guarded('fused linear', fused_linear_vs_cublas) or []
gpu = cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()
with open(f'{OUT}/gpu_bench.md', 'w') as f:
    f.write(f'# GPU benchmark on {gpu}\n\nMedian ms per training step (MomentumSGD), '
            'float32.\n\n' + '\n'.join(table) + '\n\n## Fused linear kernels\n\n'
            + '\n'.join(fused) + '\n')
print(open(f'{OUT}/gpu_bench.md').read())
PYEOF
[ "${PIPESTATUS[0]}" = 0 ] || STATUS=1

if [ $DRY = 0 ]; then
    # last, as time allows: the functions' *_gpu variants (CuPy compiles each elementwise
    # kernel once; in parallel with the image's pytest-xdist)
    timeout 150 $PY -m pytest -q -m gpu tests/functions -p no:cacheprovider -n 8 2>&1 \
        | tee "$OUT/function_tests.log" | tail -5 || STATUS=1
fi
echo "gpu_check: results under $OUT (status $STATUS)"
exit $STATUS
