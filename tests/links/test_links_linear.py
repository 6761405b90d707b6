import numpy as np
import pytest

import tracegrad.links as L
from tracegrad import initializers
from tracegrad.utils.type_check import InvalidType


@pytest.mark.parametrize('batch', [1, 3])
def test_forward_matches_numpy(batch, float64_params, check_link_backward):
    np.random.seed(1)
    link = L.Linear(5, 7)
    assert link.W.shape == (7, 5) and link.W.dtype == np.float64
    link.b.array[...] = np.random.randn(7)
    x = np.random.randn(batch, 5)
    np.testing.assert_allclose(link(x).array, x @ link.W.array.T + link.b.array, rtol=1e-12)
    check_link_backward(link, x)


def test_float32_forward_and_grads():
    np.random.seed(0)
    link = L.Linear(3, 2)
    x = np.random.randn(4, 3).astype(np.float32)
    y = link(x)
    assert y.dtype == np.float32
    gy = np.random.randn(4, 2).astype(np.float32)
    y.grad = gy
    y.backward()
    np.testing.assert_allclose(link.W.grad, gy.T @ x, rtol=1e-5)
    np.testing.assert_allclose(link.b.grad, gy.sum(0), rtol=1e-5)


def test_n_batch_axes_and_lazy_init(float64_params, check_link_backward):
    link = L.Linear(None, 3)
    x = np.random.randn(2, 4, 5)
    y = link(x, n_batch_axes=2)
    assert link.W.shape == (3, 5)
    assert y.shape == (2, 4, 3)
    np.testing.assert_allclose(y.array, x @ link.W.array.T, atol=1e-12)
    flat = L.Linear(3)
    assert flat(x).shape == (2, 3) and flat.W.shape == (3, 20)


def test_nobias_and_initializers():
    W = np.arange(6, dtype=np.float32).reshape(2, 3)
    link = L.Linear(3, 2, nobias=True, initialW=W)
    assert link.b is None
    assert [p for p, _ in link.namedparams()] == ['/W']
    np.testing.assert_array_equal(link.W.array, W)
    assert link.W.array is not W
    np.testing.assert_array_equal(link(np.ones((1, 3), np.float32)).array, [[3., 12.]])
    link = L.Linear(3, 2, initialW=initializers.One(), initial_bias=initializers.Constant(2))
    np.testing.assert_array_equal(link.W.array, np.ones((2, 3)))
    np.testing.assert_array_equal(link.b.array, [2., 2.])
    link = L.Linear(3, 2, initialW=0.5, initial_bias=np.array([1, 2], np.float32))
    np.testing.assert_array_equal(link.b.array, [1., 2.])
    assert (link.W.array == 0.5).all()


def test_seeded_values_draw_W_before_b():
    np.random.seed(0)
    a = L.Linear(3, 2, initial_bias=initializers.Normal())
    np.random.seed(0)
    W = np.random.normal(0, np.sqrt(1 / 3), (2, 3)).astype(np.float32)
    b = np.random.normal(0, 0.05, 2).astype(np.float32)
    np.testing.assert_array_equal(a.W.array, W)
    np.testing.assert_array_equal(a.b.array, b)


def test_bad_input_names_the_function():
    link = L.Linear(3, 2)
    with pytest.raises(InvalidType, match='(?i)linear'):
        link(np.ones((2, 4), np.float32))
