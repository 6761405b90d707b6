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


# ---------------------------------------------------------------- its kernel runtime
# (tests/gpu runs the backend's generated kernels on it; these check the runtime's own
# semantics: a barrier orders shared memory, shuffles exchange within a warp, a barrier that
# cannot open and launches a GPU refuses are errors)
_RUNTIME_CHECKS = r'''
extern "C" __global__ void reverse_in_block(const float* __restrict__ x, float* __restrict__ y)
{
    __shared__ float tile[64];
    const int i = threadIdx.x;
    tile[i] = x[blockIdx.x * 64 + i];
    __syncthreads();
    y[blockIdx.x * 64 + i] = tile[63 - i];
}

extern "C" __global__ void warp_sums(const double* __restrict__ x, double* __restrict__ y)
{
    double v = x[blockIdx.x * blockDim.x + threadIdx.x];
    for (int s = 16; s > 0; s >>= 1)
        v += __shfl_down_sync(0xffffffffu, v, s);
    if (threadIdx.x % 32 == 0)
        y[(blockIdx.x * blockDim.x + threadIdx.x) / 32] = v;
}

extern "C" __global__ void divergent_barrier(float* __restrict__ y)
{
    float v = y[threadIdx.x];
    if (threadIdx.x < 16)
        __syncthreads();
    else
        v = __shfl_down_sync(0xffffffffu, v, 1);
    y[threadIdx.x] = v;
}

extern "C" __global__ void grid_2d(int* __restrict__ out, const int width)
{
    const int r = blockIdx.y * blockDim.y + threadIdx.y;
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < width)
        out[r * width + c] = r * 1000 + c;
}
'''


@pytest.fixture(scope='module')
def host(tmp_path_factory):
    return host_cupy.module(str(tmp_path_factory.mktemp('host_cupy')))


@pytest.fixture(scope='module')
def checks(host):
    if host_cupy.kernels.CXX is None:
        pytest.skip('no C++ compiler (g++) to build kernels for the host')
    return host.RawModule(code=_RUNTIME_CHECKS)


def test_runtime_block_barrier_orders_shared_memory(host, checks):
    """Each thread reads what another wrote before the barrier: wrong without one."""
    x = np.arange(3 * 64, dtype=np.float32)
    y = host.zeros_like(host.asarray(x))
    checks.get_function('reverse_in_block')((3,), (64,), (host.asarray(x), y))
    np.testing.assert_array_equal(y.get(), x.reshape(3, 64)[:, ::-1].ravel())


def test_runtime_warp_shuffle(host, checks):
    x = np.random.RandomState(0).randn(4 * 96)
    y = host.zeros(12)
    checks.get_function('warp_sums')((4,), (96,), (host.asarray(x), y))
    np.testing.assert_allclose(y.get(), x.reshape(12, 32).sum(1), rtol=1e-13)


def test_runtime_reports_a_barrier_that_cannot_open(host, checks):
    with pytest.raises(host_cupy.kernels.LaunchError, match='divergent_barrier.*barriers'):
        checks.get_function('divergent_barrier')((1,), (32,), (host.zeros(32, np.float32),))


def test_runtime_two_dimensional_launch_and_scalar_arguments(host, checks):
    out = host.full((6, 10), -1, np.int32)
    checks.get_function('grid_2d')((2, 3), (8, 2), (out, np.int32(10)))
    r, c = np.indices(out.shape)
    np.testing.assert_array_equal(out.get(), r * 1000 + c)
    with pytest.raises(TypeError, match='argument 1 is a int'):
        checks.get_function('grid_2d')((2, 3), (8, 2), (out, 10))
    with pytest.raises(TypeError, match='argument 0 is a NumPy array'):
        checks.get_function('grid_2d')((2, 3), (8, 2), (out.get(), np.int32(10)))


@pytest.mark.parametrize('grid,block', [((1,), (2048,)), ((1,), (1, 1, 128)), ((0,), (32,)),
                                        ((1, 70000), (32,))])
def test_runtime_refuses_what_a_gpu_refuses(host, checks, grid, block):
    with pytest.raises(host_cupy.kernels.LaunchError, match='launch configuration'):
        checks.get_function('reverse_in_block')(grid, block, (host.zeros(1, np.float32),
                                                              host.zeros(1, np.float32)))


def test_cupyx_scipy_special(cp):
    """SciPy's special functions on device arrays, under CuPy's names only."""
    special = host_cupy.cupyx_modules()['cupyx.scipy.special']
    r = special.erf(cp.asarray(np.array([0.0, 1.0])))
    assert isinstance(r, host_cupy.ndarray)
    np.testing.assert_allclose(r.get(), [0.0, 0.8427007929497149])
    assert isinstance(special.zeta(2.0, cp.ones(2)), host_cupy.ndarray)
    with pytest.raises(TypeError, match='device and host arrays do not mix'):
        special.gammaln(np.ones(2))
    with pytest.raises(AttributeError, match="'cupyx.scipy.special' has no attribute 'ellipk'"):
        special.ellipk  # noqa: B018 - SciPy has it, CuPy does not
