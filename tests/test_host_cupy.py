"""The CPU stand-in for CuPy (tests/host_cupy) behaves as CuPy where NumPy code goes wrong
on a GPU; the GPU tests run on it without a GPU (TRACEGRAD_HOST_CUPY=1), so these checks
keep it honest."""
import copy
import pickle

import host_cupy
import numpy as np
import pytest


@pytest.fixture
def cp():
    return host_cupy.module()


def test_device_arrays_are_not_numpy_arrays(cp):
    a = cp.asarray(np.arange(6.0).reshape(2, 3))
    assert isinstance(a, cp.ndarray) and not isinstance(a, np.ndarray)
    with pytest.raises(TypeError, match='Implicit conversion to a NumPy array'):
        np.asarray(a)
    np.testing.assert_array_equal(a.get(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(cp.asnumpy(a.T), np.arange(6.0).reshape(2, 3).T)


@pytest.mark.parametrize('mix', [
    lambda cp, a, h: a + h, lambda cp, a, h: h * a, lambda cp, a, h: cp.maximum(a, h),
    lambda cp, a, h: np.add(a, h), lambda cp, a, h: cp.concatenate([a, h]),
    lambda cp, a, h: cp.add.at(a, [0], h[:1]), lambda cp, a, h: a.__iadd__(h),
])
def test_host_and_device_arrays_do_not_mix(cp, mix):
    a, h = cp.ones(3), np.ones(3)
    with pytest.raises(TypeError, match='device and host arrays do not mix'):
        mix(cp, a, h)


def test_scalars_mix_and_results_stay_on_the_device(cp):
    a = cp.arange(4, dtype=np.float32)
    for r in (a + 1, 2.5 * a, a * np.float32(2), np.exp(a), a.sum(), a[1], cp.max(a)):
        assert isinstance(r, cp.ndarray)
    assert a.sum().shape == () and float(a.sum()) == 6.0
    assert (a * 2).dtype == np.float32
    b = a.copy()
    b += 1
    b[0] = 10
    np.testing.assert_array_equal(b.get(), [10, 2, 3, 4])
    np.testing.assert_array_equal(a.get(), [0, 1, 2, 3])


def test_only_what_cupy_has(cp):
    assert host_cupy.API['cupy_version']
    with pytest.raises(AttributeError, match="module 'cupy' has no attribute 'errstate'"):
        getattr(cp, 'errstate')  # noqa: B009 - the lookup is what is tested
    with pytest.raises(AttributeError, match='resize'):
        getattr(cp.ones(2), 'resize')  # noqa: B009
    with pytest.raises(TypeError, match='no implementation found'):
        np.insert(cp.ones(2), 0, 1.0)
    np.testing.assert_allclose(float(np.linalg.norm(cp.ones(4))), 2.0)


def test_random_has_its_own_stream_and_dtypes(cp):
    state = np.random.get_state()[1].copy()
    cp.random.seed(1)
    x = cp.random.rand(3, dtype=np.float32)
    assert x.dtype == np.float32 and isinstance(x, cp.ndarray)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    cp.random.seed(1)
    np.testing.assert_array_equal(cp.random.rand(3, dtype=np.float32).get(), x.get())
    assert cp.random.standard_normal((2,), dtype=np.float64).dtype == np.float64


def test_copies_and_pickles(cp):
    a = cp.arange(3.0)
    for b in (copy.deepcopy(a), copy.copy(a), pickle.loads(pickle.dumps(a))):
        assert isinstance(b, cp.ndarray)
        np.testing.assert_array_equal(b.get(), a.get())
        b[0] = 7
        assert float(a[0]) == 0.0


def test_device_and_cublas_gemm(cp):
    with cp.cuda.Device(0) as d:
        assert d.id == 0 and cp.ones(1).device == d
    with pytest.raises(ValueError, match='no device 1'):
        cp.cuda.Device(1)
    a, b = cp.asarray(np.arange(6.0).reshape(2, 3)), cp.asarray(np.arange(12.0).reshape(4, 3))
    out = cp.ones((2, 4))
    assert cp.cublas.gemm('N', 'T', a, b, out=out, alpha=2.0, beta=1.0) is out
    np.testing.assert_allclose(out.get(), 2 * a.get() @ b.get().T + 1)
    with pytest.raises(ValueError, match='do not chain'):
        cp.cublas.gemm('N', 'N', a, b)
