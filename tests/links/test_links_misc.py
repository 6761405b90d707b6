"""Bias, Scale, PReLU, Maxout and Highway."""
import numpy as np
import pytest

import tracegrad.functions as F
import tracegrad.links as L


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_bias_with_and_without_parameter(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.Bias(axis=1, shape=(3, 2))
    link.b.array[...] = np.random.randn(3, 2)
    x = np.random.randn(4, 3, 2, 5)
    np.testing.assert_allclose(link(x).array, x + link.b.array[None, :, :, None])
    check_link_backward(link, x)
    free = L.Bias(axis=1)
    assert list(free.params()) == []
    y = np.random.randn(3)
    np.testing.assert_allclose(free(x[:, :, 0, 0], y).array, x[:, :, 0, 0] + y)


def test_scale_variants(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.Scale(axis=1, W_shape=(3,), bias_term=True)
    assert [p for p, _ in link.namedparams()] == ['/W', '/bias/b']
    np.testing.assert_array_equal(link.W.array, [1, 1, 1])
    link.W.array[...] = np.random.randn(3)
    link.bias.b.array[...] = np.random.randn(3)
    x = np.random.randn(2, 3, 4)
    np.testing.assert_allclose(
        link(x).array, x * link.W.array[None, :, None] + link.bias.b.array[None, :, None])
    check_link_backward(link, x)
    two = L.Scale(axis=1, bias_term=True, bias_shape=(3,))
    w = np.random.randn(3)
    np.testing.assert_allclose(two(x, w).array, x * w[None, :, None])
    with pytest.raises(ValueError, match='bias_shape'):
        L.Scale(bias_term=True)


def test_prelu(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.PReLU(shape=(3,))
    np.testing.assert_array_equal(link.W.array, [0.25] * 3)
    link.W.array[...] = [0.1, 0.2, 0.3]
    x = np.random.uniform(0.2, 1, (2, 3, 4)) * np.random.choice([-1, 1], (2, 3, 4))
    expected = np.where(x > 0, x, x * link.W.array[None, :, None])
    np.testing.assert_allclose(link(x).array, expected)
    check_link_backward(link, x)
    scalar = L.PReLU(init=0.5)
    assert scalar.W.shape == ()


def test_maxout(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.Maxout(4, 3, 2)
    assert link.linear.W.shape == (6, 4)
    link.linear.b.array[...] = np.random.randn(6)
    x = np.random.randn(5, 4)
    h = (x @ link.linear.W.array.T + link.linear.b.array).reshape(5, 3, 2)
    np.testing.assert_allclose(link(x).array, h.max(axis=2))
    check_link_backward(link, x)


def test_maxout_array_and_callable_initializers():
    W = np.arange(24, dtype=np.float32).reshape(3, 2, 4)
    b = np.arange(6, dtype=np.float32).reshape(3, 2)
    link = L.Maxout(4, 3, 2, initialW=W, initial_bias=b)
    np.testing.assert_array_equal(link.linear.W.array, W.reshape(6, 4))
    np.testing.assert_array_equal(link.linear.b.array, b.reshape(6))
    seen = []

    def init(array):
        seen.append(array.shape)
        array[...] = 1

    link = L.Maxout(4, 3, 2, initialW=init, initial_bias=None)
    assert seen == [(3, 2, 4)] and (link.linear.W.array == 1).all()
    assert link.linear.b is None
    with pytest.raises(ValueError, match='ndim'):
        L.Maxout(4, 3, 2, initialW=np.zeros((6, 4), np.float32))


def test_highway(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.Highway(3)
    np.testing.assert_array_equal(link.transform.b.array, [-1, -1, -1])
    assert link.activate is F.relu
    x = np.random.randn(4, 3)
    plain = np.maximum(x @ link.plain.W.array.T + link.plain.b.array, 0)
    gate = _sigmoid(x @ link.transform.W.array.T + link.transform.b.array)
    np.testing.assert_allclose(link(x).array, plain * gate + x * (1 - gate))
    tanh_link = L.Highway(3, activate=F.tanh, nobias=True)
    assert tanh_link.plain.b is None
    check_link_backward(tanh_link, x)
