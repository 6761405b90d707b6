import numpy as np
import pytest

import tracegrad.links as L


def test_forward_backward_and_ignore_label():
    np.random.seed(0)
    link = L.EmbedID(5, 3, ignore_label=-1)
    assert link.W.shape == (5, 3)
    x = np.array([[0, 4], [-1, 4]], np.int32)
    y = link(x)
    expected = np.where((x == -1)[..., None], 0, link.W.array[np.where(x == -1, 0, x)])
    np.testing.assert_array_equal(y.array, expected)
    gy = np.random.randn(2, 2, 3).astype(np.float32)
    y.grad = gy
    y.backward()
    expected_gW = np.zeros((5, 3), np.float32)
    expected_gW[0] += gy[0, 0]
    expected_gW[4] += gy[0, 1] + gy[1, 1]
    np.testing.assert_allclose(link.W.grad, expected_gW, rtol=1e-6)


def test_default_initializer_is_normal_one():
    np.random.seed(0)
    link = L.EmbedID(400, 50)
    np.testing.assert_allclose(link.W.array.std(), 1.0, rtol=0.02)
    np.random.seed(0)
    W = L.EmbedID(2, 2).W.array
    np.random.seed(0)
    np.testing.assert_array_equal(W, np.random.normal(0, 1.0, (2, 2)).astype(np.float32))


def test_out_of_range_id_raises():
    link = L.EmbedID(3, 2)
    with pytest.raises(ValueError, match='embed_id'):
        link(np.array([3], np.int32))
