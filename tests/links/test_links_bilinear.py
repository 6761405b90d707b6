import numpy as np
import pytest

import tracegrad.links as L


def test_bilinear_link_forward_backward(float64_params, check_link_backward):
    np.random.seed(0)
    link = L.Bilinear(2, 3, 4)
    assert link.W.shape == (2, 3, 4) and link.V1.shape == (2, 4) and link.V2.shape == (3, 4)
    np.testing.assert_array_equal(link.b.array, np.zeros(4))
    link.b.array[...] = np.random.randn(4)
    e1, e2 = np.random.randn(5, 2), np.random.randn(5, 3)
    expected = np.einsum('ij,ik,jkl->il', e1, e2, link.W.array) + e1 @ link.V1.array + \
        e2 @ link.V2.array + link.b.array
    np.testing.assert_allclose(link(e1, e2).array, expected, atol=1e-12)
    check_link_backward(link, (e1, e2))


def test_bilinear_link_nobias_and_initializers():
    link = L.Bilinear(2, 3, 4, nobias=True, initialW=np.full((2, 3, 4), 0.5, np.float32))
    assert not hasattr(link, 'V1') and sorted(n for n, _ in link.namedparams()) == ['/W']
    y = link(np.ones((1, 2), np.float32), np.ones((1, 3), np.float32))
    np.testing.assert_allclose(y.array, np.full((1, 4), 3.0))
    link = L.Bilinear(2, 3, 4, initial_bias=(1.0, 2.0, 3.0))
    assert (link.V1.array == 1).all() and (link.V2.array == 2).all() and (link.b.array == 3).all()
    with pytest.raises(ValueError, match='Bilinear: initial_bias must be None or a tuple'):
        L.Bilinear(2, 3, 4, initial_bias=0)
    with pytest.raises(ValueError, match=r'Bilinear: initialW must have shape \(2, 3, 4\)'):
        L.Bilinear(2, 3, 4, initialW=np.ones((2, 3, 5), np.float32))
