import numpy as np
import pytest

import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import initializers


def _per_sequence(lengths, k=3, dtype=np.float32):
    xs = [np.random.uniform(-1, 1, (n, k)).astype(dtype) for n in lengths]
    ys = [np.random.randint(0, k, n).astype(np.int32) for n in lengths]
    return xs, ys


def _by_step(seqs):
    """Sort by decreasing length (stable) and transpose, as crf1d wants."""
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
    return order, [a.array for a in F.transpose_sequence([seqs[i] for i in order])]


def test_cost_parameter():
    crf = L.CRF1d(4)
    assert crf.cost.shape == (4, 4) and crf.cost.dtype == np.float32
    assert not crf.cost.array.any()
    assert [name for name, _ in crf.namedparams()] == ['/cost']
    crf = L.CRF1d(2, initial_cost=initializers.Constant(0.5))
    np.testing.assert_array_equal(crf.cost.array, np.full((2, 2), 0.5, np.float32))
    w = np.arange(4, dtype=np.float32).reshape(2, 2)
    np.testing.assert_array_equal(L.CRF1d(2, initial_cost=w).cost.array, w)


@pytest.mark.parametrize('reduce', ['mean', 'no'])
def test_forward_is_crf1d(reduce):
    crf = L.CRF1d(3, initial_cost=initializers.Uniform(1.0))
    xs, ys = _per_sequence([3, 2])
    xs, ys = _by_step(xs)[1], _by_step(ys)[1]
    np.testing.assert_array_equal(crf(xs, ys, reduce=reduce).array,
                                  F.crf1d(crf.cost, xs, ys, reduce=reduce).array)


@pytest.mark.parametrize('reduce', ['mean', 'no'])
def test_forward_transposes_sequences(reduce):
    crf = L.CRF1d(3, initial_cost=initializers.Uniform(1.0))
    xs, ys = _per_sequence([2, 4, 1, 4])
    order, steps_x = _by_step(xs)
    _, steps_y = _by_step(ys)
    loss = crf(xs, ys, reduce=reduce, transpose=True)
    expected = F.crf1d(crf.cost, steps_x, steps_y, reduce=reduce).array
    if reduce == 'no':  # back in the order of the given sequences
        expected = expected[np.argsort(order)]
    np.testing.assert_allclose(loss.array, expected, rtol=1e-6)


def test_transposed_loss_backward():
    crf = L.CRF1d(3, initial_cost=initializers.Uniform(1.0))
    xs, ys = _per_sequence([2, 3, 1])
    loss = crf(xs, ys, transpose=True)
    crf.cleargrads()
    loss.backward()
    assert crf.cost.grad is not None and crf.cost.grad.any()


def test_argmax_transposes_back():
    crf = L.CRF1d(3, initial_cost=initializers.Uniform(1.0))
    xs, _ = _per_sequence([2, 4, 1, 3])
    score, paths = crf.argmax(xs, transpose=True)
    assert [len(p) for p in paths] == [2, 4, 1, 3]
    for i, x in enumerate(xs):  # each sequence decoded alone gives the same
        s, p = crf.argmax([x[t:t + 1] for t in range(len(x))])
        np.testing.assert_array_equal(paths[i], np.concatenate(p))
        np.testing.assert_allclose(score.array[i], s.array[0], rtol=1e-6)
    s_steps, p_steps = crf.argmax(_by_step(xs)[1])
    assert len(p_steps) == 4 and s_steps.shape == (4,)


@pytest.mark.gpu
def test_on_gpu():
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    crf = L.CRF1d(3, initial_cost=initializers.Uniform(1.0))
    xs, ys = _per_sequence([2, 3, 1])
    cpu_loss = crf(xs, ys, transpose=True).array
    cpu_score, cpu_paths = crf.argmax(xs, transpose=True)
    crf.to_gpu()
    gxs = [cuda.cupy.asarray(x) for x in xs]
    gys = [cuda.cupy.asarray(y) for y in ys]
    loss = crf(gxs, gys, transpose=True)
    assert isinstance(loss.array, cuda.ndarray)
    np.testing.assert_allclose(cuda.to_cpu(loss.array), cpu_loss, rtol=1e-6)
    loss.backward()
    assert isinstance(crf.cost.grad, cuda.ndarray)
    score, paths = crf.argmax(gxs, transpose=True)
    np.testing.assert_allclose(cuda.to_cpu(score.array), cpu_score.array, rtol=1e-6)
    for p, q in zip(paths, cpu_paths):
        assert isinstance(p, cuda.ndarray)
        np.testing.assert_array_equal(cuda.to_cpu(p), q)
