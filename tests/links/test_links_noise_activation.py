"""L.Swish, L.Parameter, L.SimplifiedDropconnect and L.StatefulZoneoutLSTM."""
import numpy as np
import pytest

import tracegrad
import tracegrad.links as L


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- Swish --

def test_swish_with_shape(float64_params, check_link_backward):
    s = L.Swish((3,), beta_init=0.5)
    np.testing.assert_array_equal(s.beta.array, [0.5, 0.5, 0.5])
    s.beta.array[...] = [0.5, 1., 2.]
    x = np.random.randn(4, 3)
    np.testing.assert_allclose(s(x).array, x * _sigmoid(s.beta.array * x), rtol=1e-12)
    check_link_backward(s, x)


def test_swish_deferred_shape():
    s = L.Swish(None, beta_init=2.)
    assert s.beta.array is None
    x = np.random.randn(2, 3, 4).astype(np.float32)
    y = s(x)
    assert s.beta.shape == (3, 4)
    np.testing.assert_allclose(y.array, x * _sigmoid(2 * x), rtol=1e-5, atol=1e-7)
    assert [name for name, _ in s.namedparams()] == ['/beta']


# -- Parameter --

def test_parameter_link_returns_its_array_and_gets_grads():
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    p = L.Parameter(array)
    assert p.W.dtype == np.float64 and p.W.shape == (2, 3)
    y = p()
    np.testing.assert_array_equal(y.array, array)
    assert y is not p.W
    tracegrad.functions.sum(y * y).backward()
    np.testing.assert_array_equal(p.W.grad, 2 * array)
    assert p(volatile='on').shape == (2, 3)
    assert [name for name, _ in p.namedparams()] == ['/W']


# -- SimplifiedDropconnect --

def test_simplified_dropconnect_link(float64_params):
    np.random.seed(0)
    layer = L.SimplifiedDropconnect(4, 3, ratio=0.25)
    assert layer.W.shape == (3, 4) and layer.b.shape == (3,)
    np.testing.assert_array_equal(layer.b.array, 0)
    x = np.random.randn(5, 2, 2)
    np.random.seed(1)
    y = layer(x)
    np.random.seed(1)
    mask = np.random.rand(5, 3, 4) >= 0.25
    expected = np.einsum('nmk,nk->nm', layer.W.array * mask / 0.75, x.reshape(5, 4))
    np.testing.assert_allclose(y.array, expected, rtol=1e-12)
    # test mode: a plain linear layer
    y = layer(x, train=False)
    np.testing.assert_allclose(y.array, x.reshape(5, 4) @ layer.W.array.T, rtol=1e-12)


def test_simplified_dropconnect_link_options(float64_params):
    layer = L.SimplifiedDropconnect(None, 2, ratio=0.5, nobias=True, initialW=1.)
    assert layer.b is None and layer.W.array is None
    mask = np.array([[1, 0, 1], [0, 1, 1]], bool)
    x = np.random.randn(4, 3)
    y = layer(x, mask=mask)
    np.testing.assert_allclose(y.array, 2 * x @ mask.T, rtol=1e-12)
    assert 'mask' in layer._persistent
    np.testing.assert_array_equal(layer.mask, mask)

    def forward(x):
        return layer(x, mask=mask)
    from tracegrad import gradient_check
    gradient_check.check_backward(forward, x, np.random.randn(4, 2),
                                  params=list(layer.params()), atol=1e-6, rtol=1e-5)
    layer2 = L.SimplifiedDropconnect(3, 2, initial_bias=0.5)
    np.testing.assert_array_equal(layer2.b.array, 0.5)


# -- StatefulZoneoutLSTM --

def _lstm_step(layer, c, h, x):
    z = x @ layer.upward.W.array.T + layer.upward.b.array
    if h is not None:
        z = z + h @ layer.lateral.W.array.T
    z = z.reshape(len(x), -1, 4)
    a, i, f, o = (z[:, :, k] for k in range(4))
    c_prev = np.zeros_like(a) if c is None else c
    c_new = np.tanh(a) * _sigmoid(i) + _sigmoid(f) * c_prev
    return c_new, _sigmoid(o) * np.tanh(c_new)


def test_zoneout_lstm_train_steps(float64_params):
    np.random.seed(0)
    layer = L.StatefulZoneoutLSTM(3, 4, c_ratio=0.3, h_ratio=0.6)
    assert layer.state_size == 4 and layer.c is None and layer.h is None
    xs = [np.random.randn(2, 3) for _ in range(3)]
    c = h = None
    for t, x in enumerate(xs):
        np.random.seed(10 + t)
        y = layer(x)
        np.random.seed(10 + t)
        keep_c_new = np.random.rand(2, 4) >= 0.3
        keep_h_new = np.random.rand(2, 4) >= 0.6
        c_new, h_new = _lstm_step(layer, c, h, x)
        c_prev = np.zeros((2, 4)) if c is None else c
        h_prev = np.zeros((2, 4)) if h is None else h
        c = np.where(keep_c_new, c_new, c_prev)
        h = np.where(keep_h_new, h_new, h_prev)
        np.testing.assert_allclose(y.array, h, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.c.array, c, rtol=1e-10, atol=1e-12)
    layer.reset_state()
    assert layer.c is None and layer.h is None


def test_zoneout_lstm_test_mode_is_lstm_and_backward(float64_params):
    layer = L.StatefulZoneoutLSTM(3, 2)
    x = np.random.randn(5, 3)
    c0, h0 = np.random.randn(5, 2), np.random.randn(5, 2)
    layer.set_state(tracegrad.Variable(c0), tracegrad.Variable(h0))
    with tracegrad.using_config('train', False):
        y = layer(x)
    c, h = _lstm_step(layer, c0, h0, x)
    np.testing.assert_allclose(y.array, h, rtol=1e-10)
    np.testing.assert_allclose(layer.c.array, c, rtol=1e-10)
    from tracegrad import gradient_check

    def step(x):
        layer.set_state(tracegrad.Variable(c0), tracegrad.Variable(h0))
        with tracegrad.using_config('train', False):
            return layer(x)
    gradient_check.check_backward(step, x, np.random.randn(5, 2),
                                  params=list(layer.params()), atol=1e-6, rtol=1e-5)


def test_zoneout_lstm_errors():
    with pytest.raises(ValueError, match='StatefulZoneoutLSTM: the train argument'):
        L.StatefulZoneoutLSTM(3, 2, train=True)
    with pytest.raises(TypeError, match='StatefulZoneoutLSTM.. got unexpected'):
        L.StatefulZoneoutLSTM(3, 2, ratio=0.1)
    with pytest.raises(TypeError, match='set_state'):
        L.StatefulZoneoutLSTM(3, 2).set_state(np.zeros((1, 2)), np.zeros((1, 2)))
