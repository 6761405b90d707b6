import io

import numpy as np
import pytest

import tracegrad
import tracegrad.links as L
from tracegrad import initializers, serializers

# name -> (class, weights per layer and direction, directions, LSTM)
LINKS = {
    'NStepLSTM': (L.NStepLSTM, 8, 1, True),
    'NStepBiLSTM': (L.NStepBiLSTM, 8, 2, True),
    'NStepGRU': (L.NStepGRU, 6, 1, False),
    'NStepBiGRU': (L.NStepBiGRU, 6, 2, False),
    'NStepRNNTanh': (L.NStepRNNTanh, 2, 1, False),
    'NStepRNNReLU': (L.NStepRNNReLU, 2, 1, False),
    'NStepBiRNNTanh': (L.NStepBiRNNTanh, 2, 2, False),
    'NStepBiRNNReLU': (L.NStepBiRNNReLU, 2, 2, False),
}
N_LAYERS, IN, OUT = 2, 3, 4


def expected_shapes(n_w, dirs):
    """Chainer's layout: child ``layer * dirs + d`` holds w0.. and b0.."""
    shapes = {}
    for layer in range(N_LAYERS):
        for d in range(dirs):
            child = layer * dirs + d
            for j in range(n_w):
                w_in = OUT if j >= n_w // 2 else (IN if layer == 0 else OUT * dirs)
                shapes[f'{child}/w{j}'] = (OUT, w_in)
                shapes[f'{child}/b{j}'] = (OUT,)
    return shapes


def run(link, hx, cx, xs):
    """Call ``link``; returns (hy, cy or None, ys)."""
    if LINKS[type(link).__name__][3]:
        return link(hx, cx, xs)
    hy, ys = link(hx, xs)
    return hy, None, ys


@pytest.mark.parametrize('name', list(LINKS))
def test_parameter_layout_names_and_serializer_keys(name):
    cls, n_w, dirs, lstm = LINKS[name]
    link = cls(N_LAYERS, IN, OUT, 0.25)
    shapes = expected_shapes(n_w, dirs)
    assert {p[1:]: v.shape for p, v in link.namedparams()} == shapes
    assert len(link) == N_LAYERS * dirs
    assert (link.n_layers, link.out_size, link.direction, link.dropout) == \
        (N_LAYERS, OUT, dirs, 0.25)
    assert link.n_cells == (2 if lstm else 1)
    assert len(link.ws) == len(link.bs) == N_LAYERS * dirs
    assert all(len(g) == n_w for g in link.ws + link.bs)
    assert link.ws[-1][0] is link[-1].w0
    assert link.bs[0][n_w - 1] is getattr(link[0], f'b{n_w - 1}')
    f = io.BytesIO()
    serializers.save_npz(f, link)
    f.seek(0)
    with np.load(f) as saved:
        assert sorted(saved.keys()) == sorted(shapes)


def test_loads_an_npz_with_chainers_keys():
    shapes = expected_shapes(8, 1)
    rng = np.random.RandomState(0)
    arrays = {k: rng.randn(*s).astype(np.float32) for k, s in shapes.items()}
    f = io.BytesIO()
    np.savez(f, **arrays)
    f.seek(0)
    link = L.NStepLSTM(N_LAYERS, IN, OUT, 0.0)
    serializers.load_npz(f, link)
    for key, value in arrays.items():
        child, pname = key.split('/')
        np.testing.assert_array_equal(getattr(link[int(child)], pname).array, value)


def test_copy_shares_or_copies_parameters_and_keeps_ws():
    link = L.NStepGRU(1, IN, OUT, 0.0)
    deep = link.copy(mode='copy')
    assert deep.ws[0][0] is not link.ws[0][0]
    assert deep.ws[0][0] is deep[0].w0
    np.testing.assert_array_equal(deep.ws[0][0].array, link.ws[0][0].array)


def test_default_initializers_draw_lecun_normal_weights_in_chainers_order():
    np.random.seed(3)
    link = L.NStepBiGRU(2, IN, OUT, 0.0)
    np.random.seed(3)
    for child in link:
        for j in range(6):
            w = getattr(child, f'w{j}')
            expected = initializers.generate_array(initializers.LeCunNormal(), w.shape, np)
            np.testing.assert_array_equal(w.array, expected)
            np.testing.assert_array_equal(getattr(child, f'b{j}').array, 0)
    assert link[0].w0.dtype == np.float32


def test_initializer_arguments():
    link = L.NStepRNNTanh(2, IN, OUT, 0.0, initialW=initializers.Constant(0.5),
                          initial_bias=2.0)
    for w in (p for g in link.ws for p in g):
        np.testing.assert_array_equal(w.array, 0.5)
    for b in (p for g in link.bs for p in g):
        np.testing.assert_array_equal(b.array, 2.0)
    with tracegrad.using_config('dtype', np.float64):
        assert L.NStepLSTM(1, IN, OUT, 0.0).ws[0][0].dtype == np.float64


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _reference_one_layer(kind, params, h, c, seq):
    """One uni-directional layer on one sequence (rows of ``seq``), NumPy."""
    w = [params[f'w{j}'] for j in range(len(params) // 2)]
    b = [params[f'b{j}'] for j in range(len(params) // 2)]
    out = []
    for x in seq:
        if kind == 'lstm':
            i = _sigmoid(w[0] @ x + b[0] + w[4] @ h + b[4])
            f = _sigmoid(w[1] @ x + b[1] + w[5] @ h + b[5])
            a = np.tanh(w[2] @ x + b[2] + w[6] @ h + b[6])
            o = _sigmoid(w[3] @ x + b[3] + w[7] @ h + b[7])
            c = f * c + i * a
            h = o * np.tanh(c)
        else:
            r = _sigmoid(w[0] @ x + b[0] + w[3] @ h + b[3])
            z = _sigmoid(w[1] @ x + b[1] + w[4] @ h + b[4])
            h = (1 - z) * np.tanh(w[2] @ x + b[2] + r * (w[5] @ h + b[5])) + z * h
        out.append(h)
    return h, c, np.array(out)


@pytest.mark.parametrize('kind', ['lstm', 'gru'])
@pytest.mark.parametrize('lengths', [(2, 4, 1, 4, 3), (1,), (3,), (1, 2)])
def test_forward_matches_reference_in_callers_order(kind, lengths):
    rng = np.random.RandomState(1)
    link = (L.NStepLSTM if kind == 'lstm' else L.NStepGRU)(1, IN, OUT, 0.0,
                                                            initialW=initializers.Uniform(1.))
    with link.init_scope():
        for name, p in link.namedparams():
            p.array[...] = rng.uniform(-1, 1, p.shape)
    params = {n.split('/')[-1]: p.array.astype(np.float64) for n, p in link.namedparams()}
    xs = [rng.uniform(-1, 1, (n, IN)).astype(np.float32) for n in lengths]
    hx = rng.uniform(-1, 1, (1, len(xs), OUT)).astype(np.float32)
    cx = rng.uniform(-1, 1, hx.shape).astype(np.float32)
    hy, cy, ys = run(link, hx, cx, xs)
    assert isinstance(ys, list) and len(ys) == len(xs)
    for i, x in enumerate(xs):
        h, c, out = _reference_one_layer(kind, params, hx[0, i].astype(np.float64),
                                         cx[0, i].astype(np.float64), x.astype(np.float64))
        np.testing.assert_allclose(ys[i].array, out, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(hy.array[0, i], h, rtol=1e-4, atol=1e-5)
        if kind == 'lstm':
            np.testing.assert_allclose(cy.array[0, i], c, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', list(LINKS))
def test_each_sequence_as_if_alone(name):
    """Sorting, transposing and restoring the order: a batch gives what each sequence
    gives on its own; hx=None means zeros."""
    cls, _, dirs, lstm = LINKS[name]
    link = cls(N_LAYERS, IN, OUT, 0.5)
    rng = np.random.RandomState(2)
    xs = [tracegrad.Variable(rng.uniform(-1, 1, (n, IN)).astype(np.float64))
          for n in (2, 5, 1, 5, 3)]
    for p in link.params():
        p.array = p.array.astype(np.float64)
    hx = rng.uniform(-1, 1, (N_LAYERS * dirs, len(xs), OUT))
    cx = rng.uniform(-1, 1, hx.shape) if lstm else None
    with tracegrad.using_config('train', False):
        hy, cy, ys = run(link, hx, cx, xs)
        hy0, cy0, ys0 = run(link, None, None, xs)
        for i, x in enumerate(xs):
            h1, c1, y1 = run(link, hx[:, i:i + 1], None if cx is None else cx[:, i:i + 1], [x])
            np.testing.assert_allclose(ys[i].array, y1[0].array, rtol=1e-12)
            assert ys[i].shape == (len(x), OUT * dirs)
            np.testing.assert_allclose(hy.array[:, i], h1.array[:, 0], rtol=1e-12)
            if lstm:
                np.testing.assert_allclose(cy.array[:, i], c1.array[:, 0], rtol=1e-12)
            zeros = np.zeros((N_LAYERS * dirs, 1, OUT))
            h0, _, y0 = run(link, zeros, zeros if lstm else None, [x])
            np.testing.assert_allclose(ys0[i].array, y0[0].array, rtol=1e-12)
            np.testing.assert_allclose(hy0.array[:, i], h0.array[:, 0], rtol=1e-12)
            if lstm:
                assert not np.array_equal(cy0.array[:, i], cy.array[:, i])
    assert hy.shape == (N_LAYERS * dirs, len(xs), OUT)


def test_gradients_reach_inputs_states_and_every_parameter():
    link = L.NStepBiLSTM(2, IN, OUT, 0.2)
    rng = np.random.RandomState(4)
    xs = [tracegrad.Variable(rng.randn(n, IN).astype(np.float32)) for n in (1, 3, 2)]
    hx = tracegrad.Variable(rng.randn(4, 3, OUT).astype(np.float32))
    hy, cy, ys = link(hx, None, xs)
    loss = sum(tracegrad.functions.sum(y * y) for y in ys) + tracegrad.functions.sum(hy * cy)
    loss.backward()
    assert all(x.grad is not None and x.grad.shape == x.shape for x in xs)
    assert hx.grad.shape == hx.shape
    for name, p in link.namedparams():
        assert p.grad is not None and np.abs(p.grad).sum() > 0, name


def test_gradient_check_through_the_link_permutation():
    link = L.NStepGRU(1, 2, 2, 0.0)
    for p in link.params():
        p.array = p.array.astype(np.float64)
    rng = np.random.RandomState(5)
    xs = [rng.randn(n, 2) for n in (1, 3, 2)]
    hx = rng.randn(1, 3, 2)

    def f(hx, *xs):
        hy, ys = link(hx, list(xs))
        return (hy,) + tuple(ys)

    gys = tuple(rng.randn(*y.shape) for y in f(hx, *xs))
    tracegrad.gradient_check.check_backward(f, (hx,) + tuple(xs), gys, atol=1e-6,
                                            rtol=1e-5, eps=1e-6)


def test_dropout_follows_config_train():
    link = L.NStepLSTM(2, IN, OUT, 0.5)
    xs = [np.ones((3, IN), np.float32), np.ones((2, IN), np.float32)]
    with tracegrad.using_config('train', False):
        _, _, a = link(None, None, xs)
        _, _, b = link(None, None, xs)
    np.testing.assert_array_equal(a[0].array, b[0].array)
    np.random.seed(0)
    _, _, c = link(None, None, xs)
    np.random.seed(0)
    _, _, d = link(None, None, xs)
    np.testing.assert_array_equal(c[0].array, d[0].array)
    assert not np.allclose(c[0].array, a[0].array)


def test_errors():
    with pytest.raises(ValueError, match='NStepLSTM: the use_cudnn argument'):
        L.NStepLSTM(1, IN, OUT, 0.0, use_cudnn=True)
    with pytest.raises(TypeError, match='unexpected keyword'):
        L.NStepGRU(1, IN, OUT, 0.0, foo=1)
    link = L.NStepRNNTanh(1, IN, OUT, 0.0)
    with pytest.raises(TypeError, match='NStepRNNTanh: xs must be a list'):
        link(None, np.ones((2, IN), np.float32))
    with pytest.raises(ValueError, match='NStepRNNTanh: xs must hold at least one'):
        link(None, [])
    with pytest.raises(ValueError, match='n_step_rnn: hx must be'):
        link(np.zeros((2, 1, OUT), np.float32), [np.ones((2, IN), np.float32)])
    with pytest.raises(ValueError, match=r'n_step_rnn: ws\[0\]\[0\] must be'):
        link(None, [np.ones((2, IN + 1), np.float32)])
    # Chainer's forward refuses the removed train argument with a ValueError
    xs = [np.ones((2, IN), np.float32)]
    with pytest.raises(ValueError, match=r"NStepRNNTanh.forward: the train argument.*using_config"):
        link(None, xs, train=False)
    with pytest.raises(ValueError, match='NStepLSTM.forward: the train argument'):
        L.NStepLSTM(1, IN, OUT, 0.0)(None, None, xs, train=False)
    with pytest.raises(TypeError, match=r'NStepGRU.forward\(\) got unexpected keyword.*foo'):
        L.NStepGRU(1, IN, OUT, 0.0)(None, xs, foo=1)


@pytest.mark.gpu
@pytest.mark.parametrize('name', ['NStepBiLSTM', 'NStepGRU', 'NStepRNNReLU'])
def test_gpu_matches_cpu(name):
    from tracegrad import backend
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    cls, _, dirs, _ = LINKS[name]
    link = cls(N_LAYERS, IN, OUT, 0.0)
    gpu_link = link.copy(mode='copy').to_device('@cupy:0')
    device, host = backend.get_device('@cupy:0'), backend.CpuDevice()
    rng = np.random.RandomState(6)
    xs = [rng.randn(n, IN).astype(np.float32) for n in (2, 3, 1)]
    hx = rng.randn(N_LAYERS * dirs, 3, OUT).astype(np.float32)
    results = []
    for lnk, dev in ((link, host), (gpu_link, device)):
        for h in (None, hx):
            lnk.cleargrads()
            xs_v = [tracegrad.Variable(dev.send(x)) for x in xs]
            h_v = None if h is None else dev.send(h)
            hy, cy, ys = run(lnk, h_v, h_v, xs_v)
            loss = sum(tracegrad.functions.sum(y * y) for y in ys) + \
                tracegrad.functions.sum(hy if cy is None else hy * cy)
            loss.backward()
            results.append([host.send(hy.array)] + [host.send(y.array) for y in ys]
                           + [host.send(x.grad) for x in xs_v]
                           + [host.send(p.grad) for _, p in sorted(lnk.namedparams())])
    for cpu, gpu in zip(results[:2], results[2:]):
        for a, b in zip(cpu, gpu):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
