"""The CUDA backend's generated kernels, executed on the CPU (no GPU needed).

``host_cupy`` builds the generated CUDA source with the host C++ compiler, behind a small
runtime that runs each block's threads as fibers with CUDA's barrier and warp-shuffle
semantics, and stands in for the part of CuPy that the backend's programs call. So every
primitive, whole training steps and the fused linear kernels run here, on every machine
with g++, and are compared with the reference interpreter or NumPy. tests/gpu/ runs the
same checks on a GPU; this file does not replace that (speed, FMA contraction and the real
NVRTC/cuBLAS are only seen there), it makes sure the kernels' logic, indexing and launch
configurations are right before a GPU is at hand.
"""
import sys

import host_cupy
import numpy as np
import pytest

from codegen import Graph, interpreter
from codegen.backends import cuda as cuda_backend
from codegen.backends import get_backend

pytestmark = pytest.mark.skipif(host_cupy.kernels.CXX is None,
                                reason='no C++ compiler (g++) to build the kernels for the host')


@pytest.fixture(scope='module')
def host(tmp_path_factory):
    """``cupy`` is the host stand-in while this module runs (and the kernel cache is fresh);
    as installed for the whole session by TRACEGRAD_HOST_CUPY=1, when that is set."""
    mp = pytest.MonkeyPatch()
    h = host_cupy.module(str(tmp_path_factory.mktemp('host_cupy')))
    mp.setitem(sys.modules, 'cupy', h)
    mp.setattr(cuda_backend, '_modules', {})
    yield h
    mp.undo()


def _tol(dtype) -> dict:
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return {'rtol': 1e-5, 'atol': 1e-6}
    if dtype == np.float64:
        return {'rtol': 1e-12, 'atol': 1e-13}
    return {'rtol': 0, 'atol': 0}


def _kernel_names(prog) -> set:
    return {s[1] for s in prog.schedule if s[0] == 'kernel'}


# ---------------------------------------------------------------- every primitive
def _primitive_names():
    from codegen import all_primitives
    return [p.name for p in all_primitives()]


@pytest.mark.parametrize('name', _primitive_names())
def test_primitive(host, name):
    """All cases of tests/kernels/test_primitives.py for ``name`` (float32 and float64,
    scalars, batch 1, odd sizes), built with 'cuda' and run on the host."""
    from test_primitives import CASES, build_graph, expected

    cases = CASES[name]
    graph, where = build_graph(name, cases)
    prog = get_backend('cuda').build(graph)
    with np.errstate(all='ignore'):
        outs = prog([a.copy() for c in cases for a in c.inputs])
    assert _kernel_names(prog) <= set(host.kernels.launches)
    for k, case in enumerate(cases):
        want = expected(name, case)
        for idx, w in zip(where[k], want):
            got = outs[idx]
            assert isinstance(got, host_cupy.ndarray)
            got = got.get()
            w = w.astype(graph.outputs[idx].dtype)
            assert got.shape == w.shape and got.dtype == w.dtype, f'{name}{case}'
            if w.dtype.kind == 'f':
                np.testing.assert_allclose(got, w, equal_nan=True, err_msg=f'{name}{case}',
                                           **_tol(w.dtype))
            else:
                np.testing.assert_array_equal(got, w, err_msg=f'{name}{case}')


def test_scalar_and_non_contiguous_inputs(host):
    """0-d inputs stay 0-d (CuPy's ascontiguousarray, like NumPy's, makes them 1-D) and
    strided inputs are made contiguous before the kernels read them."""
    g = Graph()
    x = g.input((3, 4), 'float32')
    s = g.input((), 'float32')
    g.set_outputs([g.add('mul', [x, s])])
    prog = get_backend('cuda').build(g)
    base = np.arange(12, dtype=np.float32).reshape(4, 3)
    for strided in (base.T, host.asarray(base).T):  # from the host, and on the device
        out = prog([strided, np.float32(2.5)])[0]
        np.testing.assert_array_equal(out.get(), base.T * np.float32(2.5))
    with pytest.raises(ValueError, match='input 1 has shape'):
        prog([base.T, np.ones(1, np.float32)])


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_donated_inputs_are_updated_in_place(host, dtype):
    """``p - lr * g`` written over ``p`` (what compile does for parameters): the output is
    the caller's device array, updated; a donation the plan does not honour leaves the
    input alone."""
    g = Graph()
    p = g.input((5, 3), dtype)
    grad = g.input((5, 3), dtype)
    lr = g.input((), dtype)
    new = g.add('sub', [p, g.add('mul', [grad, lr])])
    g.set_outputs([new, g.add('mul', [grad, grad])])
    prog = get_backend('cuda').build(g, donate={0: 0, 1: 1})
    assert prog.donated == {0: 0, 1: 1} and prog.stats['donated_outputs'] == 2
    rng = np.random.RandomState(0)
    p0, g0 = rng.randn(5, 3).astype(dtype), rng.randn(5, 3).astype(dtype)
    dp, dg = host.asarray(p0), host.asarray(g0)
    out, sq = prog([dp, dg, np.asarray(0.1, dtype)])
    assert out is dp and sq is dg
    np.testing.assert_allclose(dp.get(), p0 - g0 * np.asarray(0.1, dtype), **_tol(dtype))
    np.testing.assert_allclose(dg.get(), g0 * g0, **_tol(dtype))
    # p is read by a second output too: the plan does not donate it
    g = Graph()
    p = g.input((4,), dtype)
    g.set_outputs([g.add('neg', [p]), g.add('mul', [p, p])])
    prog = get_backend('cuda').build(g, donate={0: 0})
    assert prog.donated == {}
    dp = host.asarray(np.arange(4, dtype=dtype))
    neg, sq = prog([dp])
    assert neg is not dp
    np.testing.assert_array_equal(dp.get(), np.arange(4, dtype=dtype))


def test_kernels_are_compiled_once_per_process(host):
    """Two programs of the same graph share one loaded module (codegen's per-process cache);
    another graph gets its own."""
    def graph(op):
        g = Graph()
        x = g.input((7,), 'float32')
        g.set_outputs([g.add(op, [x])])
        return g

    x = np.linspace(-1, 1, 7).astype(np.float32)
    before = host.kernels.modules
    for _ in range(2):
        np.testing.assert_allclose(get_backend('cuda').build(graph('tanh'))([x])[0].get(),
                                   np.tanh(x), rtol=1e-6)
    assert host.kernels.modules == before + 1
    get_backend('cuda').build(graph('exp'))([x])
    assert host.kernels.modules == before + 2


def test_out_of_range_index_raises(host):
    g = Graph()
    x = g.input((4, 3), 'float32')
    i = g.input((2,), 'int32')
    g.set_outputs([g.add('take', [x, i], axis=0)])
    prog = get_backend('cuda').build(g)
    x_np = np.arange(12, dtype=np.float32).reshape(4, 3)
    out = prog([x_np, np.array([-1, 2], np.int32)])[0]
    np.testing.assert_array_equal(out.get(), x_np[[-1, 2]])
    with pytest.raises(IndexError, match='take'):
        prog([x_np, np.array([0, 4], np.int32)])
    prog([x_np, np.array([0, 1], np.int32)])  # the flag was reset


# ---------------------------------------------------------------- whole training steps
_HYPER = {'opt0/hp/alpha': 1e-3, 'opt0/hp/beta1': 0.9, 'opt0/hp/beta2': 0.999,
          'opt0/hp/eps': 1e-8, 'opt0/hp/eta': 1.0, 'opt0/hp/lr': 0.01,
          'opt0/hp/momentum': 0.9}


def _step_feeds(graph: Graph) -> list:
    """Inputs of a traced step: labels in range, counters, hyperparameters by name, and
    positive floats elsewhere (Adam's second moments and BN variances must be)."""
    rng = np.random.RandomState(0)
    feeds = []
    for v in graph.inputs:
        dt = np.dtype(v.dtype)
        if v.name == 'arg1':
            a = rng.randint(0, 3, v.shape).astype(dt)
        elif dt.kind in 'iu':
            a = np.full(v.shape, 3, dt)
        elif v.shape == ():
            a = np.asarray(_HYPER.get(v.name, 0.0), dt)
        elif v.name == 'arg0':
            a = rng.randn(*v.shape).astype(dt)
        else:
            a = (rng.rand(*v.shape) + 0.1).astype(dt)
        feeds.append(a)
    return feeds


@pytest.mark.parametrize('kind', ['mlp', 'CNN'])
@pytest.mark.parametrize('optimizer', ['Adam', 'MomentumSGD'])
def test_training_step(host, kind, optimizer):
    """The optimised IR of a whole step (forward, backward, update; the CNN has conv, BN,
    max pooling and dropout) on the host, against the reference interpreter."""
    from test_cuda_render import traced_step_graph

    graph = traced_step_graph(kind, optimizer)
    feeds = _step_feeds(graph)
    prog = get_backend('cuda').build(graph)
    outs = prog([f.copy() for f in feeds])
    want = interpreter.run(graph, feeds)
    assert _kernel_names(prog) <= set(host.kernels.launches)
    for v, got, w in zip(graph.outputs, outs, want):
        assert got.shape == w.shape and got.dtype == w.dtype, v.name
        np.testing.assert_allclose(got.get(), w, rtol=1e-4, atol=1e-5, err_msg=v.name)


@pytest.mark.parametrize('transa,transb', [(False, False), (False, True), (True, False),
                                           (True, True)])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_gemm_accumulation_through_beta(host, transa, transb, dtype):
    """``matmul + c`` folds into one cublas.gemm with beta (gradient accumulation)."""
    m, k, n = 5, 3, 7
    g = Graph()
    a = g.input((k, m) if transa else (m, k), dtype)
    b = g.input((n, k) if transb else (k, n), dtype)
    c = g.input((m, n), dtype)
    prod = g.add('matmul', [a, b], transa=transa, transb=transb)
    g.set_outputs([g.add('add', [prod, c]), g.add('mul', [c, c])])
    prog = get_backend('cuda').build(g)
    assert prog.stats['blas_beta_folds'] == 1
    rng = np.random.RandomState(1)
    feeds = [rng.randn(*v.shape).astype(dtype) for v in g.inputs]
    outs = prog([f.copy() for f in feeds])
    for got, w in zip(outs, interpreter.run(g, feeds)):
        np.testing.assert_allclose(got.get(), w, **_tol(dtype) if dtype == 'float64'
                                   else {'rtol': 1e-5, 'atol': 1e-5})


# ---------------------------------------------------------------- fused linear kernels
@pytest.mark.parametrize('shape', [(1, 5, 3), (7, 5, 3), (65, 17, 129), (100, 784, 100)])
@pytest.mark.parametrize('activation', ['relu', 'none'])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_fused_linear_kernels(host, shape, activation, dtype):
    m, k, n = shape
    rng = np.random.RandomState(0)
    x = rng.randn(m, k).astype(dtype)
    W = (rng.randn(n, k) / np.sqrt(k)).astype(dtype)
    b = rng.randn(n).astype(dtype)
    gy = rng.randn(m, n).astype(dtype)
    lin = cuda_backend.FusedLinear(np.dtype(dtype).name, activation)
    y = lin.forward(host.asarray(x), host.asarray(W), host.asarray(b))
    pre = x @ W.T + b
    want = np.maximum(pre, 0) if activation == 'relu' else pre
    tol = {'rtol': 1e-4, 'atol': 1e-5} if dtype == np.float32 else {'rtol': 1e-12, 'atol': 1e-13}
    np.testing.assert_allclose(y.get(), want, **tol)
    gx, gW, gb = lin.backward(host.asarray(x), host.asarray(W), y, host.asarray(gy))
    gpre = gy * (want > 0) if activation == 'relu' else gy
    np.testing.assert_allclose(gb.get(), gpre.sum(0), **tol)
    np.testing.assert_allclose(gx.get(), gpre @ W, **tol)
    np.testing.assert_allclose(gW.get(), gpre.T @ x, **tol)


# ---------------------------------------------------------------- the host runtime itself
_RUNTIME_CHECKS = r'''
extern "C" __global__ void reverse_in_block(const float* __restrict__ x, float* __restrict__ y)
{
    __shared__ float tile[64];
    const int i = threadIdx.x;
    tile[i] = x[blockIdx.x * 64 + i];
    __syncthreads();
    y[blockIdx.x * 64 + i] = tile[63 - i];
}

extern "C" __global__ void warp_sums(const double* __restrict__ x, double* __restrict__ y)
{
    double v = x[blockIdx.x * blockDim.x + threadIdx.x];
    for (int s = 16; s > 0; s >>= 1)
        v += __shfl_down_sync(0xffffffffu, v, s);
    if (threadIdx.x % 32 == 0)
        y[(blockIdx.x * blockDim.x + threadIdx.x) / 32] = v;
}

extern "C" __global__ void divergent_barrier(float* __restrict__ y)
{
    float v = y[threadIdx.x];
    if (threadIdx.x < 16)
        __syncthreads();
    else
        v = __shfl_down_sync(0xffffffffu, v, 1);
    y[threadIdx.x] = v;
}

extern "C" __global__ void grid_2d(int* __restrict__ out, const int width)
{
    const int r = blockIdx.y * blockDim.y + threadIdx.y;
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < width)
        out[r * width + c] = r * 1000 + c;
}
'''


@pytest.fixture(scope='module')
def checks(host):
    return host.RawModule(code=_RUNTIME_CHECKS)


def test_runtime_block_barrier_orders_shared_memory(host, checks):
    """Each thread reads what another wrote before the barrier: wrong without one."""
    x = np.arange(3 * 64, dtype=np.float32)
    y = host.zeros_like(host.asarray(x))
    checks.get_function('reverse_in_block')((3,), (64,), (host.asarray(x), y))
    np.testing.assert_array_equal(y.get(), x.reshape(3, 64)[:, ::-1].ravel())


def test_runtime_warp_shuffle(host, checks):
    x = np.random.RandomState(0).randn(4 * 96)
    y = host.zeros(12)
    checks.get_function('warp_sums')((4,), (96,), (host.asarray(x), y))
    np.testing.assert_allclose(y.get(), x.reshape(12, 32).sum(1), rtol=1e-13)


def test_runtime_reports_a_barrier_that_cannot_open(host, checks):
    with pytest.raises(host_cupy.kernels.LaunchError, match='divergent_barrier.*barriers'):
        checks.get_function('divergent_barrier')((1,), (32,), (host.zeros(32, np.float32),))


def test_runtime_two_dimensional_launch_and_scalar_arguments(host, checks):
    out = host.full((6, 10), -1, np.int32)
    checks.get_function('grid_2d')((2, 3), (8, 2), (out, np.int32(10)))
    r, c = np.indices(out.shape)
    np.testing.assert_array_equal(out.get(), r * 1000 + c)
    with pytest.raises(TypeError, match='argument 1 is a int'):
        checks.get_function('grid_2d')((2, 3), (8, 2), (out, 10))
    with pytest.raises(TypeError, match='argument 0 is a NumPy array'):
        checks.get_function('grid_2d')((2, 3), (8, 2), (out.get(), np.int32(10)))


@pytest.mark.parametrize('grid,block', [((1,), (2048,)), ((1,), (1, 1, 128)), ((0,), (32,)),
                                        ((1, 70000), (32,))])
def test_runtime_refuses_what_a_gpu_refuses(host, checks, grid, block):
    with pytest.raises(host_cupy.kernels.LaunchError, match='launch configuration'):
        checks.get_function('reverse_in_block')(grid, block, (host.zeros(1, np.float32),
                                                              host.zeros(1, np.float32)))
