"""StatefulPeepholeLSTM, StatelessMGU/StatefulMGU, ChildSumTreeLSTM and NaryTreeLSTM."""
import numpy as np
import pytest

import tracegrad
import tracegrad.links as L
from tracegrad import gradient_check


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _lin(link, x):
    y = x @ link.W.array.T.astype(np.float64)
    return y if link.b is None else y + link.b.array


def _rand(rng, *shape):
    return rng.uniform(-1, 1, shape)


# -- StatefulPeepholeLSTM --
def _peephole_reference(link, c, h, x):
    z = _lin(link.upward, x) + (0 if h is None else _lin(link.lateral, h))
    a, i, f, o = (z[:, g::4] for g in range(4))  # interleaved gates
    c = np.zeros((len(x), link.state_size)) if c is None else c
    i = _sigmoid(i + _lin(link.peep_i, c))
    f = _sigmoid(f + _lin(link.peep_f, c))
    c = np.tanh(a) * i + f * c
    o = _sigmoid(o + _lin(link.peep_o, c))
    return c, o * np.tanh(c)


def test_peephole_lstm_steps_match_reference(float64_params):
    rng = np.random.RandomState(0)
    link = L.StatefulPeepholeLSTM(3, 5)
    for p in link.params():
        p.array[...] = _rand(rng, *p.shape)
    assert {n for n, _ in link.namedparams()} == {
        '/upward/W', '/upward/b', '/lateral/W', '/peep_i/W', '/peep_f/W', '/peep_o/W'}
    assert link.upward.W.shape == (20, 3) and link.peep_o.W.shape == (5, 5)
    c = h = None
    for _ in range(3):
        x = _rand(rng, 2, 3)
        y = link(x)
        c, h = _peephole_reference(link, c, h, x)
        np.testing.assert_allclose(y.array, h, rtol=1e-12)
        np.testing.assert_allclose(link.c.array, c, rtol=1e-12)
    link.reset_state()
    assert link.c is None and link.h is None
    x = _rand(rng, 1, 3)
    np.testing.assert_allclose(link(x).array, _peephole_reference(link, None, None, x)[1],
                               rtol=1e-12)


def test_peephole_lstm_gradients(float64_params):
    link = L.StatefulPeepholeLSTM(2, 3)
    rng = np.random.RandomState(1)
    link(_rand(rng, 2, 2))  # a state to start from, cut from the graph that made it
    c, h = tracegrad.Variable(link.c.array), tracegrad.Variable(link.h.array)

    def two_steps(x1, x2):
        link.c, link.h = c, h
        link(x1)
        return link(x2)

    gradient_check.check_backward(two_steps, (_rand(rng, 2, 2), _rand(rng, 2, 2)),
                                  _rand(rng, 2, 3), params=list(link.params()),
                                  atol=1e-6, rtol=1e-5, eps=1e-5)


# -- MGU --
def _mgu_reference(link, h, x):
    f = _sigmoid(_lin(link.W_f, np.concatenate([h, x], axis=1)))
    h_bar = np.tanh(_lin(link.W_h, np.concatenate([f * h, x], axis=1)))
    return f * h_bar + (1 - f) * h


def test_stateless_mgu_matches_reference(float64_params):
    rng = np.random.RandomState(2)
    link = L.StatelessMGU(3, 4)
    assert link.W_f.W.shape == (4, 7) and link.W_h.b.shape == (4,)
    for p in link.params():
        p.array[...] = _rand(rng, *p.shape)
    h, x = _rand(rng, 2, 4), _rand(rng, 2, 3)
    np.testing.assert_allclose(link(h, x).array, _mgu_reference(link, h, x), rtol=1e-12)
    gradient_check.check_backward(link, (h, x), _rand(rng, 2, 4), params=list(link.params()),
                                  atol=1e-6, rtol=1e-5, eps=1e-5)


def test_stateful_mgu_keeps_and_resets_state(float64_params):
    rng = np.random.RandomState(3)
    link = L.StatefulMGU(3, 4)
    for p in link.params():
        p.array[...] = _rand(rng, *p.shape)
    xs = [_rand(rng, 2, 3) for _ in range(3)]
    h = np.zeros((2, 4))
    with tracegrad.using_config('dtype', np.float64):
        for x in xs:
            h = _mgu_reference(link, h, x)
            y = link(x)
            np.testing.assert_allclose(y.array, h, rtol=1e-12)
    assert link.h is y
    link.reset_state()
    assert link.h is None
    state = tracegrad.Variable(np.ones((2, 4)))
    link.set_state(state)
    np.testing.assert_allclose(link(xs[0]).array, _mgu_reference(link, np.ones((2, 4)), xs[0]),
                               rtol=1e-12)
    with pytest.raises(TypeError, match='StatefulMGU.set_state'):
        link.set_state(np.ones((2, 4)))


def test_stateful_mgu_initial_state_uses_config_dtype():
    link = L.StatefulMGU(3, 4)
    assert link(np.ones((2, 3), np.float32)).dtype == np.float32


# -- TreeLSTMs --
def _tree_cell(a, i, o, fs, cs):
    c = np.tanh(a) * _sigmoid(i) + sum(_sigmoid(f) * ch for f, ch in zip(fs, cs))
    return c, _sigmoid(o) * np.tanh(c)


def _child_sum_reference(link, cs, hs, x):
    n = link.state_size
    wx = _lin(link.W_x, x)
    a, i, o = (wx[:, k * n:(k + 1) * n] for k in range(3))
    if not cs:
        c = _sigmoid(i) * np.tanh(a)
        return c, _sigmoid(o) * np.tanh(c)
    aio = _lin(link.W_h_aio, sum(hs))
    a, i, o = a + aio[:, :n], i + aio[:, n:2 * n], o + aio[:, 2 * n:]
    fs = [wx[:, 3 * n:] + _lin(link.W_h_f, h) for h in hs]
    return _tree_cell(a, i, o, fs, cs)


@pytest.mark.parametrize('n_children', [0, 1, 3])
def test_child_sum_tree_lstm_matches_reference(float64_params, n_children):
    rng = np.random.RandomState(4)
    link = L.ChildSumTreeLSTM(3, 2)
    assert (link.W_x.W.shape, link.W_h_aio.W.shape, link.W_h_f.W.shape) == \
        ((8, 3), (6, 2), (2, 2))
    assert link.W_h_aio.b is None and link.W_h_f.b is None
    for p in link.params():
        p.array[...] = _rand(rng, *p.shape)
    cs = [_rand(rng, 2, 2) for _ in range(n_children)]
    hs = [_rand(rng, 2, 2) for _ in range(n_children)]
    x = _rand(rng, 2, 3)
    c, h = link(*cs, *hs, x)
    c_ref, h_ref = _child_sum_reference(link, cs, hs, x)
    np.testing.assert_allclose(c.array, c_ref, rtol=1e-12)
    np.testing.assert_allclose(h.array, h_ref, rtol=1e-12)
    if n_children > 1:  # the children's order does not matter
        c2, h2 = link(*cs[::-1], *hs[::-1], x)
        np.testing.assert_allclose(c2.array, c.array, rtol=1e-12)
        np.testing.assert_allclose(h2.array, h.array, rtol=1e-12)

    def f(*args):
        return link(*args)

    gradient_check.check_backward(f, (*cs, *hs, x), (_rand(rng, 2, 2), _rand(rng, 2, 2)),
                                  params=list(link.params()), atol=1e-6, rtol=1e-5, eps=1e-5)


def test_child_sum_tree_lstm_missing_inputs_are_zeros(float64_params):
    rng = np.random.RandomState(5)
    link = L.ChildSumTreeLSTM(3, 2)
    c1, h1 = _rand(rng, 2, 2), _rand(rng, 2, 2)
    zero = np.zeros((2, 2))
    c, h = link(c1, None, h1, None, None)
    c_ref, h_ref = link(c1, zero, h1, zero, np.zeros((2, 3)))
    np.testing.assert_allclose(c.array, c_ref.array, rtol=1e-12)
    np.testing.assert_allclose(h.array, h_ref.array, rtol=1e-12)
    with pytest.raises(ValueError, match='ChildSumTreeLSTM: all inputs'):
        link(None, None, None)
    with pytest.raises(TypeError, match='ChildSumTreeLSTM: expected'):
        link(c1, h1)


def _nary_reference(link, cs, hs, x):
    n, k = link.state_size, link.n_ary
    z = _lin(link.W_x, x)
    for j, h in enumerate(hs, start=1):
        if h is not None:
            z = z + _lin(getattr(link, f'W_h{j}'), h)
    blocks = [z[:, g * n:(g + 1) * n] for g in range(3 + k)]
    cs = [np.zeros((len(x), n)) if c is None else c for c in cs]
    return _tree_cell(blocks[0], blocks[1], blocks[2], blocks[3:], cs)


@pytest.mark.parametrize('n_ary', [1, 2, 3])
def test_nary_tree_lstm_matches_reference(float64_params, n_ary):
    rng = np.random.RandomState(6)
    link = L.NaryTreeLSTM(3, 2, n_ary=n_ary)
    assert sorted(n for n, _ in link.namedparams()) == sorted(
        ['/W_x/W', '/W_x/b'] + [f'/W_h{j}/W' for j in range(1, n_ary + 1)])
    assert link.W_x.W.shape == ((3 + n_ary) * 2, 3)
    for p in link.params():
        p.array[...] = _rand(rng, *p.shape)
    cs = [_rand(rng, 2, 2) for _ in range(n_ary)]
    hs = [_rand(rng, 2, 2) for _ in range(n_ary)]
    x = _rand(rng, 2, 3)
    c, h = link(*cs, *hs, x)
    c_ref, h_ref = _nary_reference(link, cs, hs, x)
    np.testing.assert_allclose(c.array, c_ref, rtol=1e-12)
    np.testing.assert_allclose(h.array, h_ref, rtol=1e-12)
    if n_ary > 1:
        hs[-1] = cs[-1] = None
        c, h = link(*cs, *hs, x)
        np.testing.assert_allclose(h.array, _nary_reference(link, cs, hs, x)[1], rtol=1e-12)

    def f(*args):
        return link(*args, x)

    args = [_rand(rng, 2, 2) for _ in range(2 * n_ary)]
    gradient_check.check_backward(f, tuple(args), (_rand(rng, 2, 2), _rand(rng, 2, 2)),
                                  params=list(link.params()), atol=1e-6, rtol=1e-5, eps=1e-5)


def test_nary_tree_lstm_errors():
    with pytest.raises(ValueError, match='NaryTreeLSTM: n_ary must be at least 1'):
        L.NaryTreeLSTM(3, 2, n_ary=0)
    link = L.NaryTreeLSTM(3, 2)
    with pytest.raises(TypeError, match='NaryTreeLSTM: expected 5 arguments'):
        link(None, None, np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match='NaryTreeLSTM: all inputs'):
        link(None, None, None, None, None)


def _zero_state_calls():
    """(link, args) pairs exercising each link's zero-filled states."""
    x = np.ones((2, 3), np.float32)
    h = np.full((2, 2), 0.5, np.float32)
    return [
        (L.StatefulPeepholeLSTM(3, 2), (x,)),
        (L.StatefulMGU(3, 2), (x,)),
        (L.StatelessMGU(3, 2), (h, x)),
        (L.ChildSumTreeLSTM(3, 2), (h, None, h, None, None)),
        (L.NaryTreeLSTM(3, 2), (h, None, h, None, x)),
    ]


@pytest.mark.gpu
def test_gpu_matches_cpu():
    from tracegrad import backend
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    device, host = backend.get_device('@cupy:0'), backend.CpuDevice()
    for link, args in _zero_state_calls():
        gpu_link = link.copy(mode='copy').to_device(device)
        outs = []
        for lnk, dev in ((link, host), (gpu_link, device)):
            y = lnk(*[None if a is None else dev.send(a) for a in args])
            y = y if isinstance(y, tuple) else (y,)
            outs.append([host.send(v.array) for v in y])
        for a, b in zip(*outs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
