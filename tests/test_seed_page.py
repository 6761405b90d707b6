"""The seed page (Chainer's "Links" walkthrough) as plain assertions.

tests/docs/links.rst runs the page's examples as a doctest; this file checks the
same values with array comparisons, so a failure says which number is off.
"""
import numpy as np

import tracegrad.links as L
from tracegrad import Variable


def test_seeded_linear_matches_the_page():
    np.random.seed(0)
    f = L.Linear(3, 2)
    np.testing.assert_array_equal(
        f.W.array, np.array([[1.0184761, 0.23103087, 0.5650746],
                             [1.2937803, 1.0782351, -0.56423163]], np.float32))
    assert f.W.dtype == np.float32
    np.testing.assert_array_equal(f.b.array, np.zeros(2, np.float32))

    x = Variable(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32))
    y = f(x)
    np.testing.assert_allclose(y.array, [[3.1757617, 1.7575557], [8.619507, 7.1809077]],
                               rtol=1e-6)

    f.cleargrads()
    assert f.W.grad is None and f.b.grad is None
    y.grad = np.ones((2, 2), dtype=np.float32)
    y.backward()
    np.testing.assert_array_equal(f.W.grad, [[5., 7., 9.], [5., 7., 9.]])
    np.testing.assert_array_equal(f.b.grad, [2., 2.])


def test_gradients_accumulate_until_cleared():
    np.random.seed(0)
    f = L.Linear(3, 2)
    x = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    for _ in range(2):
        y = f(x)
        y.grad = np.ones((2, 2), np.float32)
        y.backward()
    np.testing.assert_array_equal(f.b.grad, [4., 4.])
    f.cleargrads()
    assert f.b.grad is None


def test_lazy_linear_from_the_page():
    f = L.Linear(2)
    assert f.W.array is None
    y = f(np.zeros((2, 7), np.float32))
    assert f.W.shape == (2, 7)
    assert y.shape == (2, 2)


def test_chainer_alias_runs_the_page():
    import tracegrad as chainer

    np.random.seed(0)
    f = chainer.links.Linear(3, 2)
    assert isinstance(f, chainer.Link)
    assert f.W.array[0, 0] == np.float32(1.0184761)
