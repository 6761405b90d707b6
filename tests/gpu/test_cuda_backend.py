"""The CUDA backend on a GPU: every primitive against its reference semantics, whole
training-step programs against the reference interpreter, the fused linear kernels against
NumPy, and compiled CUDA training against eager CuPy training.

Every test here is ``@pytest.mark.gpu`` and skips cleanly without CuPy or a CUDA device.
benchmarks/gpu_check.sh runs them on a GPU machine; ``TRACEGRAD_HOST_CUPY=1`` runs them on
the CPU stand-in for CuPy (tests/host_cupy), whose RawModule executes the generated CUDA.
"""
import copy
import os
import sys

import numpy as np
import pytest

from codegen import Graph, interpreter
from codegen.backends import get_backend
from tracegrad.testing import training_step

pytestmark = pytest.mark.gpu


def _cupy():
    try:
        import cupy
    except ImportError:
        pytest.skip('CuPy is not installed')
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip('no CUDA device')
    except Exception as e:  # noqa: BLE001 - CuPy without a driver raises various errors
        pytest.skip(f'no usable CUDA device: {e}')
    return cupy


@pytest.fixture(scope='module')
def cupy():
    return _cupy()


sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'kernels'))


def _primitive_names():
    from codegen import all_primitives
    return [p.name for p in all_primitives()]


def _tol(dtype) -> dict:
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return {'rtol': 1e-5, 'atol': 1e-6}   # CUDA's expf/powf are within 2 ulp
    if dtype == np.float64:
        return {'rtol': 1e-12, 'atol': 1e-13}
    return {'rtol': 0, 'atol': 0}


@pytest.mark.parametrize('name', _primitive_names())
def test_primitive_on_cuda(cupy, name):
    """All cases of tests/kernels/test_primitives.py for ``name``, built with 'cuda'."""
    from test_primitives import CASES, build_graph, expected

    from codegen.backends import get_backend

    cases = CASES[name]
    graph, where = build_graph(name, cases)
    prog = get_backend('cuda').build(graph)
    with np.errstate(all='ignore'):
        outs = prog([a.copy() for c in cases for a in c.inputs])
    for k, case in enumerate(cases):
        want = expected(name, case)
        for idx, w in zip(where[k], want):
            got = outs[idx]
            assert isinstance(got, cupy.ndarray)
            got = cupy.asnumpy(got)
            w = w.astype(graph.outputs[idx].dtype)
            assert got.shape == w.shape and got.dtype == w.dtype, f'{name}{case}'
            if w.dtype.kind == 'f':
                np.testing.assert_allclose(got, w, equal_nan=True, err_msg=f'{name}{case}',
                                           **_tol(w.dtype))
            else:
                np.testing.assert_array_equal(got, w, err_msg=f'{name}{case}')


def test_out_of_range_index_raises(cupy):
    from codegen import Graph
    from codegen.backends import get_backend

    g = Graph()
    x = g.input((4, 3), 'float32')
    i = g.input((2,), 'int32')
    g.set_outputs([g.add('take', [x, i], axis=0)])
    prog = get_backend('cuda').build(g)
    x_np = np.arange(12, dtype=np.float32).reshape(4, 3)
    out = prog([x_np, np.array([-1, 2], np.int32)])[0]
    np.testing.assert_array_equal(cupy.asnumpy(out), x_np[[-1, 2]])
    with pytest.raises(IndexError, match='take'):
        prog([x_np, np.array([0, 4], np.int32)])
    prog([x_np, np.array([0, 1], np.int32)])  # the flag was reset


def test_out_of_range_index_in_a_batch_raises(cupy):
    """take runs as one part of a batch of small kernels: its error flag still reports."""
    g = Graph()
    x = g.input((4, 3), 'float32')
    i = g.input((2,), 'int32')
    taken = g.add('take', [x, i], axis=0)
    g.set_outputs([g.add('exp', [taken]), g.add('neg', [x])])
    prog = get_backend('cuda').build(g)
    assert prog.stats['launches'] == 1 and prog.stats['batched_kernels'] == 3
    x_np = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    out = prog([x_np, np.array([-1, 2], np.int32)])
    np.testing.assert_allclose(cupy.asnumpy(out[0]), np.exp(x_np[[-1, 2]]), rtol=1e-6)
    with pytest.raises(IndexError, match='take'):
        prog([x_np, np.array([0, 4], np.int32)])
    prog([x_np, np.array([0, 1], np.int32)])


@pytest.mark.parametrize('batch', ['1', '0'])
def test_small_kernels_batched_or_not_equal_the_interpreter(cupy, monkeypatch, batch):
    """Small kernels moved ahead into batches (and the same graph without batches) compute
    what the reference interpreter does: updates in place wait for their readers."""
    from test_cuda_render import hazard_graph

    monkeypatch.setenv('TRACEGRAD_CUDA_BATCH', batch)
    graph, donate = hazard_graph()
    prog = get_backend('cuda').build(graph, donate=donate)
    assert bool(prog.stats['batched_kernels']) == (batch == '1')
    rng = np.random.RandomState(3)
    feeds = [rng.randn(*v.shape).astype(v.dtype) for v in graph.inputs]
    want = interpreter.run(graph, feeds)
    arrays = [cupy.asarray(f) for f in feeds]
    outs = prog(arrays)
    assert outs[2] is arrays[1] and outs[5] is arrays[0]  # b and p updated in place
    for k, (got, w) in enumerate(zip(outs, want)):
        np.testing.assert_allclose(cupy.asnumpy(got), w, rtol=1e-5, atol=1e-5, err_msg=str(k))


@pytest.mark.parametrize('shape,activation,dtype', [
    ((m, k, n), act, dt) for m, k, n in [(1, 5, 3), (7, 5, 3), (65, 17, 129), (100, 784, 100)]
    for act in ('relu', 'none') for dt in (np.float32, np.float64)
] + [((1024, 1024, 1000), 'relu', np.float32)])
def test_fused_linear_kernels(cupy, shape, activation, dtype):
    """Forward (GEMM + bias + activation) and backward (mask + bias-grad reduction, GEMMs
    on cuBLAS) against NumPy: batch 1, sizes off the tiles, float32 and float64."""
    from codegen.backends.cuda import FusedLinear

    m, k, n = shape
    rng = np.random.RandomState(0)
    x = rng.randn(m, k).astype(dtype)
    W = (rng.randn(n, k) / np.sqrt(k)).astype(dtype)
    b = rng.randn(n).astype(dtype)
    gy = rng.randn(m, n).astype(dtype)
    lin = FusedLinear(np.dtype(dtype).name, activation)
    y = lin.forward(cupy.asarray(x), cupy.asarray(W), cupy.asarray(b))
    pre = x @ W.T + b
    want = np.maximum(pre, 0) if activation == 'relu' else pre
    tol = {'rtol': 1e-4, 'atol': 1e-4} if dtype == np.float32 else {'rtol': 1e-12, 'atol': 1e-12}
    np.testing.assert_allclose(cupy.asnumpy(y), want, **tol)
    gx, gW, gb = lin.backward(cupy.asarray(x), cupy.asarray(W), y, cupy.asarray(gy))
    gpre = gy * (want > 0) if activation == 'relu' else gy
    tol = {'rtol': 1e-4, 'atol': 1e-3} if dtype == np.float32 else tol
    np.testing.assert_allclose(cupy.asnumpy(gb), gpre.sum(0), **tol)
    np.testing.assert_allclose(cupy.asnumpy(gx), gpre @ W, **tol)
    np.testing.assert_allclose(cupy.asnumpy(gW), gpre.T @ x, **tol)


def test_compiled_cuda_mlp_training_equals_eager_cupy(cupy):
    """20 Adam steps of an MNIST-shaped MLP: compiled 'cuda' vs eager CuPy."""
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L
    from tracegrad import optimizers

    class MLP(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(784, 100)
                self.l2 = L.Linear(100, 100)
                self.l3 = L.Linear(100, 10)

        def forward(self, x):
            return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))

    np.random.seed(0)
    model_c = L.Classifier(MLP())
    model_e = copy.deepcopy(model_c)
    model_c.to_device('@cupy:0')
    model_e.to_device('@cupy:0')
    opt_c = optimizers.Adam().setup(model_c)
    opt_e = optimizers.Adam().setup(model_e)

    step = tracegrad.compile(training_step(model_c, opt_c), backend='cuda')
    step_e = training_step(model_e, opt_e)
    rng = np.random.RandomState(1)
    for i in range(20):
        x = cupy.asarray(rng.rand(100, 784).astype(np.float32))
        t = cupy.asarray(rng.randint(0, 10, 100).astype(np.int32))
        loss_c = step(x, t)
        loss_e = step_e(x, t)
        np.testing.assert_allclose(cupy.asnumpy(getattr(loss_c, 'array', loss_c)),
                                   cupy.asnumpy(loss_e.array), rtol=1e-4, atol=1e-5,
                                   err_msg=f'loss at step {i}')
    for (name, pc), (_, pe) in zip(sorted(model_c.namedparams()), sorted(model_e.namedparams())):
        assert isinstance(pc.array, cupy.ndarray), name
        np.testing.assert_allclose(cupy.asnumpy(pc.array), cupy.asnumpy(pe.array),
                                   rtol=1e-3, atol=1e-5, err_msg=name)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_compiled_cuda_random_draws_equal_eager_cupy(cupy, dtype):
    """Dropout masks and Gaussian noise: compiled 'cuda' consumes cupy.random as eager
    CuPy does (float32 uniforms for dropout, noise in the array's dtype)."""
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L
    from tracegrad import optimizers

    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model_c = L.Linear(37, 5)
    model_e = copy.deepcopy(model_c)
    model_c.to_device('@cupy:0')
    model_e.to_device('@cupy:0')
    opt_c = optimizers.SGD(lr=0.01).setup(model_c)
    opt_e = optimizers.SGD(lr=0.01).setup(model_e)

    def make_step(model, opt):
        def step(x):
            h = F.dropout(x, 0.3)
            y = model(h)
            y = F.gaussian(y, y * 0 - 2)
            loss = F.sum(y * y)
            model.cleargrads()
            loss.backward()
            opt.update()
            return loss
        return step

    step_c = tracegrad.compile(make_step(model_c, opt_c), backend='cuda')
    step_e = make_step(model_e, opt_e)
    rng = np.random.RandomState(2)
    xs = [cupy.asarray(rng.randn(3, 37).astype(dtype)) for _ in range(4)]
    with tracegrad.using_config('train', True):
        cupy.random.seed(11)
        losses_c = [float(step_c(x).array) for x in xs]
        after_c = float(cupy.random.rand())
        cupy.random.seed(11)
        losses_e = [float(step_e(x).array) for x in xs]
        after_e = float(cupy.random.rand())
    np.testing.assert_allclose(losses_c, losses_e, **{'rtol': 1e-4} if dtype == np.float32
                               else {'rtol': 1e-10})
    assert after_c == after_e
    np.testing.assert_allclose(cupy.asnumpy(model_c.W.array), cupy.asnumpy(model_e.W.array),
                               rtol=1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize('optimizer', ['Adam', 'MomentumSGD'])
def test_compiled_cuda_cnn_training_equals_eager_cupy(cupy, optimizer):
    """Convolution, batch normalization, max pooling, dropout, a weight-decay hook: 10 steps
    compiled for 'cuda' and eagerly on CuPy, with the same cupy.random draws, give the same
    losses, parameters, gradients, optimizer state and running statistics."""
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L
    from tracegrad import optimizer_hooks, optimizers

    class CNN(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.conv = L.Convolution2D(2, 4, ksize=3, pad=1, nobias=True)
                self.bn = L.BatchNormalization(4)
                self.fc = L.Linear(4 * 3 * 3, 3)

        def forward(self, x):
            h = F.relu(self.bn(self.conv(x)))
            h = F.max_pooling_2d(h, 2, stride=2)
            return self.fc(F.dropout(h, 0.3))

    np.random.seed(0)
    model_c = L.Classifier(CNN())
    model_e = copy.deepcopy(model_c)
    model_c.to_device('@cupy:0')
    model_e.to_device('@cupy:0')
    opts = []
    for model in (model_c, model_e):
        opt = getattr(optimizers, optimizer)().setup(model)
        opt.add_hook(optimizer_hooks.WeightDecay(1e-3))
        opts.append(opt)

    step_c = tracegrad.compile(training_step(model_c, opts[0]), backend='cuda')
    step_e = training_step(model_e, opts[1])
    rng = np.random.RandomState(1)
    batches = [(cupy.asarray(rng.randn(5, 2, 6, 6).astype(np.float32)),
                cupy.asarray(rng.randint(0, 3, 5).astype(np.int32))) for _ in range(10)]
    losses = []
    with tracegrad.using_config('train', True):
        for step in (step_c, step_e):
            cupy.random.seed(3)
            losses.append([float(step(x, t).array) for x, t in batches])
    assert step_c.statistics()['eager_calls'] == 0
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    rules_e = {name: p for name, p in model_e.namedparams()}
    for name, pc in model_c.namedparams():
        pe = rules_e[name]
        for what, a, b in (('array', pc.array, pe.array), ('grad', pc.grad, pe.grad)):
            assert isinstance(a, cupy.ndarray), f'{name}.{what}'
            np.testing.assert_allclose(cupy.asnumpy(a), cupy.asnumpy(b), rtol=1e-3, atol=1e-5,
                                       err_msg=f'{name}.{what}')
        assert pc.update_rule.t == pe.update_rule.t == 10
        for key, value in pe.update_rule.state.items():
            np.testing.assert_allclose(cupy.asnumpy(pc.update_rule.state[key]),
                                       cupy.asnumpy(value), rtol=1e-3, atol=1e-6,
                                       err_msg=f'{name} {key}')
    bn_c, bn_e = model_c.predictor.bn, model_e.predictor.bn
    for stat in ('avg_mean', 'avg_var'):
        np.testing.assert_allclose(cupy.asnumpy(getattr(bn_c, stat)),
                                   cupy.asnumpy(getattr(bn_e, stat)), rtol=1e-4, atol=1e-6,
                                   err_msg=stat)
    assert bn_c.N == bn_e.N


# ---------------------------------------------------------------- programs, one by one
def test_scalar_and_non_contiguous_inputs(cupy):
    """0-d inputs stay 0-d (CuPy's ascontiguousarray, like NumPy's, makes them 1-D) and
    strided inputs are made contiguous before the kernels read them."""
    g = Graph()
    x = g.input((3, 4), 'float32')
    s = g.input((), 'float32')
    g.set_outputs([g.add('mul', [x, s])])
    prog = get_backend('cuda').build(g)
    base = np.arange(12, dtype=np.float32).reshape(4, 3)
    for strided in (base.T, cupy.asarray(base).T):  # from the host, and on the device
        out = prog([strided, np.float32(2.5)])[0]
        np.testing.assert_array_equal(out.get(), base.T * np.float32(2.5))
    with pytest.raises(ValueError, match='input 1 has shape'):
        prog([base.T, np.ones(1, np.float32)])


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_donated_inputs_are_updated_in_place(cupy, dtype):
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
    dp, dg = cupy.asarray(p0), cupy.asarray(g0)
    out, sq = prog([dp, dg, np.asarray(0.1, dtype)])
    assert out.data.ptr == dp.data.ptr and sq.data.ptr == dg.data.ptr  # the same memory
    np.testing.assert_allclose(dp.get(), p0 - g0 * np.asarray(0.1, dtype), **_tol(dtype))
    np.testing.assert_allclose(dg.get(), g0 * g0, **_tol(dtype))
    # p is read by a second output too: the plan does not donate it
    g = Graph()
    p = g.input((4,), dtype)
    g.set_outputs([g.add('neg', [p]), g.add('mul', [p, p])])
    prog = get_backend('cuda').build(g, donate={0: 0})
    assert prog.donated == {}
    dp = cupy.asarray(np.arange(4, dtype=dtype))
    neg, sq = prog([dp])
    assert neg.data.ptr != dp.data.ptr
    np.testing.assert_array_equal(dp.get(), np.arange(4, dtype=dtype))


def test_kernels_are_compiled_once_per_process(cupy, monkeypatch):
    """Two programs of the same graph share one loaded module (the backend's per-process
    cache); another graph gets its own."""
    made = []
    real = cupy.RawModule

    def counting(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cupy, 'RawModule', counting)

    def graph(op):
        g = Graph()
        x = g.input((13,), 'float32')  # a size no other test uses: a source of its own
        g.set_outputs([g.add(op, [x])])
        return g

    x = np.linspace(-1, 1, 13).astype(np.float32)
    for _ in range(2):
        np.testing.assert_allclose(get_backend('cuda').build(graph('tanh'))([x])[0].get(),
                                   np.tanh(x), rtol=1e-6)
    assert len(made) == 1
    get_backend('cuda').build(graph('exp'))([x])
    assert len(made) == 2


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


@pytest.mark.parametrize('kind,optimizer,batch,host', [
    ('mlp', 'Adam', '1', True), ('mlp', 'MomentumSGD', '1', True), ('CNN', 'Adam', '1', True),
    ('CNN', 'MomentumSGD', '1', False), ('mlp', 'Adam', '0', False),
    ('CNN', 'MomentumSGD', '0', True)])
def test_training_step(cupy, monkeypatch, kind, optimizer, batch, host):
    """The optimised IR of a whole step (forward, backward, update; the CNN has conv, BN,
    max pooling and dropout) built with 'cuda', against the reference interpreter; with
    small kernels batched (nearly all of these tiny models' kernels) and without; with the
    scalar inputs (hyperparameters, counters) on the host, as tracegrad.compile passes
    them, and on the device."""
    from test_cuda_render import traced_step_graph

    monkeypatch.setenv('TRACEGRAD_CUDA_BATCH', batch)
    graph = traced_step_graph(kind, optimizer)
    feeds = _step_feeds(graph)
    scalars = {k for k, v in enumerate(graph.inputs) if v.shape == () and v.name != 'arg1'}
    counters = {k for k, v in enumerate(graph.outputs) if v.shape == () and v.dtype == 'int64'}
    prog = get_backend('cuda').build(graph, host_inputs=scalars if host else (),
                                     host_outputs=counters if host else ())
    assert bool(prog.stats['batched_kernels']) == (batch == '1')
    assert bool(prog.stats.get('host_nodes')) == host
    outs = prog([f.copy() for f in feeds])
    want = interpreter.run(graph, feeds)
    for k, (v, got, w) in enumerate(zip(graph.outputs, outs, want)):
        assert got.shape == w.shape and got.dtype == w.dtype, v.name
        if host and k in counters:
            assert isinstance(got, np.ndarray), v.name  # stayed on the host
        np.testing.assert_allclose(cupy.asnumpy(got), w, rtol=1e-4, atol=1e-5, err_msg=v.name)


@pytest.mark.parametrize('optimizer', ['MomentumSGD', 'Adam'])
def test_compiled_step_crosses_to_the_host_once(cupy, optimizer):
    """A compiled CUDA step uploads its scalars (hyperparameters, counters and what is
    computed from them) in one copy, hands the counters back without a copy from the
    device, and reads the device once: the labels' range check (as eager CuPy's
    softmax_cross_entropy does). Counted by the CPU stand-in for CuPy."""
    if getattr(cupy, '__version__', None) != 'host':
        pytest.skip('counts copies through the CPU stand-in for CuPy (TRACEGRAD_HOST_CUPY=1)')
    import host_cupy

    import tracegrad
    import tracegrad.links as L
    from tracegrad import optimizers

    np.random.seed(0)
    model = L.Classifier(L.Linear(6, 4))
    model.to_device('@cupy:0')
    opt = getattr(optimizers, optimizer)().setup(model)
    step = tracegrad.compile(training_step(model, opt), backend='cuda')
    x = cupy.asarray(np.random.rand(5, 6).astype(np.float32))
    t = cupy.asarray(np.random.randint(0, 4, 5).astype(np.int32))
    for _ in range(2):
        step(x, t)
    host_cupy.TRANSFERS.clear()
    for _ in range(3):
        step(x, t)
    assert dict(host_cupy.TRANSFERS) == {'to_device': 3, 'to_host': 3}


@pytest.mark.parametrize('transa,transb', [(False, False), (False, True), (True, False),
                                           (True, True)])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_gemm_accumulation_through_beta(cupy, transa, transb, dtype):
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
