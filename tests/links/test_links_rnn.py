"""LSTM, StatelessLSTM, GRU, StatefulGRU, StatelessGRU."""
import numpy as np
import pytest

import tracegrad
import tracegrad.links as L
from tracegrad import Variable, initializers


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _lstm_ref(c, gates):
    """Chainer's lstm: the gate pre-activations are interleaved (a, i, f, o per unit)."""
    g = gates.reshape(len(gates), -1, 4)
    a, i, f, o = np.tanh(g[..., 0]), _sigmoid(g[..., 1]), _sigmoid(g[..., 2]), _sigmoid(g[..., 3])
    c_new = a * i + f * c
    return c_new, o * np.tanh(c_new)


def _random_biases(link):
    link.upward.b.array[...] = np.random.randn(*link.upward.b.shape)


def test_lstm_initialization_layout_and_draw_order():
    np.random.seed(0)
    link = L.LSTM(3, 2)
    b = link.upward.b.array.reshape(2, 4)
    np.testing.assert_array_equal(b, [[0, 0, 1, 0], [0, 0, 1, 0]])
    np.random.seed(0)
    lateral, upward = [], []
    for _ in range(4):
        lateral.append(np.random.normal(0, np.sqrt(1 / 2), (2, 2)))
        upward.append(np.random.normal(0, np.sqrt(1 / 3), (2, 3)))
    np.testing.assert_array_equal(link.lateral.W.array,
                                  np.concatenate(lateral).astype(np.float32))
    np.testing.assert_array_equal(link.upward.W.array,
                                  np.concatenate(upward).astype(np.float32))
    custom = L.LSTM(3, 2, bias_init=initializers.Constant(0.5), forget_bias_init=-2,
                    lateral_init=initializers.Zero(), upward_init=initializers.One())
    np.testing.assert_array_equal(custom.upward.b.array.reshape(2, 4),
                                  [[.5, .5, -2, .5]] * 2)
    assert (custom.lateral.W.array == 0).all() and (custom.upward.W.array == 1).all()


def test_lstm_steps_match_reference(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.LSTM(3, 4)
    _random_biases(link)
    xs = [np.random.randn(2, 3) for _ in range(3)]
    c = np.zeros((2, 4))
    h = None
    for x in xs:
        gates = x @ link.upward.W.array.T + link.upward.b.array
        if h is not None:
            gates = gates + h @ link.lateral.W.array.T
        c, h = _lstm_ref(c, gates)
        y = link(x)
        np.testing.assert_allclose(y.array, h, rtol=1e-10)
        np.testing.assert_allclose(link.c.array, c, rtol=1e-10)
    assert link.h is y
    link.reset_state()
    assert link.c is None and link.h is None


def test_lstm_backward_through_time(float64_params):
    np.random.seed(1)
    link = L.LSTM(2, 3)
    x1, x2 = np.random.randn(2, 2), np.random.randn(2, 2)

    def run(*xs):
        link.reset_state()
        ys = [link(x) for x in xs]
        return ys[-1]

    tracegrad.gradient_check.check_backward(
        run, (x1, x2), np.random.randn(2, 3), params=list(link.params()),
        eps=1e-4, atol=1e-6, rtol=1e-5)


def test_lstm_shrinking_batch_and_set_state(float64_params):
    np.random.seed(0)
    link = L.LSTM(2, 3)
    link(np.random.randn(3, 2))
    h_before = link.h.array.copy()
    y = link(np.random.randn(2, 2))
    assert y.shape == (2, 3) and link.h.shape == (3, 3)
    np.testing.assert_array_equal(link.h.array[2], h_before[2])
    with pytest.raises(TypeError, match='batch size'):
        link(np.random.randn(4, 2))
    c, h = Variable(np.ones((1, 3))), Variable(np.zeros((1, 3)))
    link.set_state(c, h)
    assert link.c is c and link.h is h
    with pytest.raises(TypeError):
        link.set_state(np.ones((1, 3)), h)


def test_lstm_lazy_and_to_device():
    link = L.LSTM(None, 4)
    assert link.upward.W.array is None
    y = link(np.zeros((2, 5), np.float32))
    assert y.shape == (2, 4) and link.upward.W.shape == (16, 5)
    np.testing.assert_array_equal(link.upward.b.array.reshape(4, 4)[:, 2], [1] * 4)
    link.to_device('@numpy')
    assert isinstance(link.h.array, np.ndarray)


def test_stateless_lstm(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.StatelessLSTM(3, 2)
    _random_biases(link)
    c, h, x = np.random.randn(4, 2), np.random.randn(4, 2), np.random.randn(4, 3)
    c_new, h_new = link(c, h, x)
    gates = x @ link.upward.W.array.T + link.upward.b.array + h @ link.lateral.W.array.T
    ref_c, ref_h = _lstm_ref(c, gates)
    np.testing.assert_allclose(c_new.array, ref_c, rtol=1e-10)
    np.testing.assert_allclose(h_new.array, ref_h, rtol=1e-10)
    check_link_backward(link, (c, h, x), (np.random.randn(4, 2), np.random.randn(4, 2)))
    _, h0 = link(None, None, x)
    ref_c, ref_h = _lstm_ref(np.zeros((4, 2)), x @ link.upward.W.array.T + link.upward.b.array)
    np.testing.assert_allclose(h0.array, ref_h, rtol=1e-10)


def _gru_ref(link, h, x):
    def lin(l, v):
        return v @ l.W.array.T + l.b.array
    r = _sigmoid(lin(link.W_r, x) + lin(link.U_r, h))
    z = _sigmoid(lin(link.W_z, x) + lin(link.U_z, h))
    h_bar = np.tanh(lin(link.W, x) + lin(link.U, r * h))
    return z * h_bar + (1 - z) * h


def test_stateless_gru(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.StatelessGRU(3, 2)
    assert [p for p, _ in link.namedlinks(skipself=True)] == \
        ['/U', '/U_r', '/U_z', '/W', '/W_r', '/W_z']
    for child in link.children():
        child.b.array[...] = np.random.randn(2)
    h, x = np.random.randn(4, 2), np.random.randn(4, 3)
    np.testing.assert_allclose(link(h, x).array, _gru_ref(link, h, x), rtol=1e-10)
    check_link_backward(link, (h, x))


def test_stateful_gru_and_alias(float64_params):
    np.random.seed(0)
    link = L.StatefulGRU(3, 2)
    x1, x2 = np.random.randn(4, 3), np.random.randn(4, 3)
    y1 = link(x1)
    z = _sigmoid(x1 @ link.W_z.W.array.T)
    np.testing.assert_allclose(y1.array, z * np.tanh(x1 @ link.W.W.array.T), rtol=1e-10)
    y2 = link(x2)
    np.testing.assert_allclose(y2.array, _gru_ref(link, y1.array, x2), rtol=1e-10)
    link.reset_state()
    assert link.h is None
    h = Variable(np.ones((4, 2)))
    link.set_state(h)
    assert link.h is h
    gru = L.GRU(3, 2)
    assert isinstance(gru, L.StatefulGRU)
    assert gru(x1).shape == (4, 2)
    with pytest.raises(ValueError, match='StatelessGRU'):
        gru(np.zeros((4, 2)), x1)
