"""NegativeSampling and BlackOut: output layers that score a few sampled words."""
import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L


class _Fixed:
    """A sampler whose draw never changes (for the gradient checks)."""

    def __init__(self, samples):
        self.samples = samples

    def sample(self, shape):
        assert shape == self.samples.shape
        return self.samples


def test_negative_sampling_link_parameters_and_sampler():
    counts = [5, 2, 1, 0, 3]
    link = L.NegativeSampling(4, counts, sample_size=3, power=0.5)
    assert link.W.shape == (5, 4) and link.W.dtype == np.float32
    assert not link.W.array.any()  # zeros, as Chainer's
    assert link.sample_size == 3
    assert [name for name, _ in link.namedparams()] == ['/W']
    np.random.seed(0)
    drawn = link.sampler.sample((20000,))
    freq = np.bincount(drawn, minlength=5) / drawn.size
    np.testing.assert_allclose(freq, np.sqrt(counts) / np.sqrt(counts).sum(), atol=0.015)


def test_negative_sampling_link_dtype():
    link = L.NegativeSampling(2, [1, 1, 1], 1, dtype=np.float64)
    assert link.W.dtype == np.float64
    with tracegrad.using_config('dtype', np.dtype(np.float64)):
        assert L.NegativeSampling(2, [1, 1, 1], 1).W.dtype == np.float64


def test_negative_sampling_link_float16_with_large_counts():
    # a corpus' frequent words exceed float16's range (65504): the sampling weights are
    # computed in float64, whatever the dtype of W
    counts = [1_000_000, 70_000, 3]
    link = L.NegativeSampling(2, counts, 1, dtype=np.float16)
    assert link.W.dtype == np.float16
    np.random.seed(0)
    freq = np.bincount(link.sampler.sample(20000), minlength=3) / 20000
    weights = np.power(counts, 0.75)
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.01)


@pytest.mark.parametrize('reduce', ['sum', 'no'])
def test_negative_sampling_link_forward_is_the_function(reduce):
    link = L.NegativeSampling(3, [4, 3, 2, 1], sample_size=2)
    link.W.array[...] = np.random.uniform(-1, 1, link.W.shape)
    x = np.random.uniform(-1, 1, (5, 3)).astype(np.float32)
    t = np.array([0, 1, -1, 3, 2], np.int32)
    np.random.seed(4)
    loss, samples = link(x, t, reduce=reduce, return_samples=True)
    np.random.seed(4)
    expected = F.negative_sampling(x, t, link.W, link.sampler.sample, 2, reduce=reduce)
    np.testing.assert_array_equal(loss.array, expected.array)
    assert samples.shape == (5, 3)
    np.testing.assert_array_equal(samples[:, 0], t)
    assert loss.shape == ((5,) if reduce == 'no' else ())


def test_negative_sampling_link_backward(float64_params, check_link_backward):
    link = L.NegativeSampling(3, [4, 3, 2, 1], sample_size=2)
    link.W.array[...] = np.random.uniform(-1, 1, link.W.shape)
    link.sampler = _Fixed(np.random.randint(0, 4, (4, 3)).astype(np.int32))
    x = np.random.uniform(-1, 1, (4, 3))
    t = np.array([0, 3, -1, 1], np.int32)
    check_link_backward(_Bound(link, t), x)


class _Bound(tracegrad.Chain):
    """``link(x, t, reduce='no')`` as a one-argument callable with the link's params."""

    def __init__(self, link, t):
        super().__init__()
        self.t = t
        with self.init_scope():
            self.link = link

    def forward(self, x):
        return self.link(x, self.t, reduce='no')


def test_black_out_link_parameters():
    link = L.BlackOut(4, [1, 2, 3], sample_size=2)
    assert link.W.shape == (3, 4) and link.W.dtype == np.float32
    assert np.isnan(link.W.array).all()  # Chainer's uninitialized Parameter: set it first
    assert link.sample_size == 2 and link.sample_data is None


def test_black_out_link_forward_draws_samples():
    link = L.BlackOut(3, [1, 2, 3, 4], sample_size=2)
    link.W.array[...] = np.random.uniform(-1, 1, link.W.shape)
    x = np.random.uniform(-1, 1, (5, 3)).astype(np.float32)
    t = np.array([0, 1, 2, 3, 1], np.int32)
    np.random.seed(9)
    loss = link(x, t)
    np.random.seed(9)
    samples = link.sampler.sample((5, 2))
    np.testing.assert_array_equal(loss.array, F.black_out(x, t, link.W, samples).array)
    assert loss.shape == () and loss.dtype == np.float32


def test_black_out_link_uses_sample_data(float64_params, check_link_backward):
    link = L.BlackOut(3, [1, 2, 3, 4], sample_size=2)
    link.W.array[...] = np.random.uniform(-1, 1, link.W.shape)
    link.sample_data = np.array([[1, 2], [3, 0], [2, 2]], np.int32)
    x = np.random.uniform(-1, 1, (3, 3))
    t = np.array([0, 1, 3], np.int32)
    loss = link(x, t)
    np.testing.assert_allclose(loss.array,
                               F.black_out(x, t, link.W, link.sample_data).array)

    class Bound(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.link = link

        def forward(self, x):
            return self.link(x, t)

    check_link_backward(Bound(), x, y_grad=np.array(1.3))


@pytest.mark.gpu
@pytest.mark.parametrize('make', [
    lambda: L.NegativeSampling(3, [4, 3, 2, 1], sample_size=2),
    lambda: L.BlackOut(3, [4, 3, 2, 1], sample_size=2),
])
def test_links_move_their_sampler(make):
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    link = make()
    link.W.array[...] = np.random.uniform(-1, 1, link.W.shape)
    x = np.random.uniform(-1, 1, (4, 3)).astype(np.float32)
    t = np.array([0, 1, 2, 3], np.int32)
    np.random.seed(1)
    cpu_loss = link(x, t)
    link.to_gpu()
    assert link.sampler.xp is cuda.cupy and isinstance(link.sampler.threshold, cuda.ndarray)
    gx = cuda.cupy.asarray(x)
    loss = link(gx, cuda.cupy.asarray(t))
    assert isinstance(loss.array, cuda.ndarray)
    loss.backward()
    assert isinstance(link.W.grad, cuda.ndarray)
    link.to_cpu()
    assert link.sampler.xp is np
    assert np.isfinite(cpu_loss.array)
