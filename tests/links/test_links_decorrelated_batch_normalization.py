import copy

import numpy as np
import pytest

import tracegrad
import tracegrad.links as L


def _whiten_ref(x, groups, eps=2e-5):
    xg = np.moveaxis(x, 1, 0).reshape(groups, x.shape[1] // groups, -1)
    means, whitens, out = [], [], []
    for xi in xg:
        xc = xi - xi.mean(axis=1, keepdims=True)
        u, s, _ = np.linalg.svd(xc @ xc.T / xi.shape[1] + eps * np.eye(len(xi)))
        whitens.append(u @ np.diag(s ** -0.5) @ u.T)
        means.append(xi.mean(axis=1))
        out.append(whitens[-1] @ xc)
    y = np.moveaxis(np.stack(out).reshape((x.shape[1], x.shape[0]) + x.shape[2:]), 0, 1)
    return y, np.stack(means), np.stack(whitens)


def test_initial_state_and_options():
    dbn = L.DecorrelatedBatchNormalization(6, groups=3, decay=0.5, eps=1e-3)
    assert dbn.avg_mean.shape == (3, 2) and dbn.avg_mean.dtype == np.float32
    np.testing.assert_array_equal(dbn.avg_projection, np.broadcast_to(np.eye(2), (3, 2, 2)))
    assert dbn.N == 0 and dbn.groups == 3 and dbn.decay == 0.5 and dbn.eps == 1e-3
    assert {'avg_mean', 'avg_projection', 'N'} <= set(dbn._persistent)
    assert list(dbn.params()) == []
    dbn64 = L.DecorrelatedBatchNormalization(16, dtype=np.float64)
    assert dbn64.avg_projection.shape == (16, 1, 1) and dbn64.avg_mean.dtype == np.float64
    with pytest.raises(ValueError, match='DecorrelatedBatchNormalization: size 5'):
        L.DecorrelatedBatchNormalization(5, groups=2)


def test_train_whitens_and_updates_statistics():
    rng = np.random.RandomState(0)
    dbn = L.DecorrelatedBatchNormalization(4, groups=2, decay=0.8, dtype=np.float64)
    x = rng.randn(5, 4, 3)
    y = dbn(x)
    y_ref, mean, whiten = _whiten_ref(x, 2)
    np.testing.assert_allclose(y.array, y_ref, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dbn.avg_mean, 0.2 * mean, rtol=1e-10)
    m = 15
    np.testing.assert_allclose(dbn.avg_projection,
                               0.8 * np.eye(2) + 0.2 * m / (m - 1) * whiten, rtol=1e-8)


def test_test_mode_uses_running_statistics(check_link_backward):
    rng = np.random.RandomState(1)
    dbn = L.DecorrelatedBatchNormalization(4, groups=2, dtype=np.float64)
    dbn.avg_mean[...] = rng.randn(2, 2)
    dbn.avg_projection[...] = rng.randn(2, 2, 2)
    x = rng.randn(3, 4)
    with tracegrad.using_config('train', False):
        y = dbn(x)
        check_link_backward(dbn, x)
    xg = x.T.reshape(2, 2, 3)
    expected = np.stack([p @ (xi - mu[:, None]) for p, xi, mu in
                         zip(dbn.avg_projection, xg, dbn.avg_mean)]).reshape(4, 3).T
    np.testing.assert_allclose(y.array, expected, rtol=1e-10)


def test_finetune_averages_all_batches():
    dbn = L.DecorrelatedBatchNormalization(2, groups=1, dtype=np.float64)
    xs = [np.random.randn(8, 2) for _ in range(3)]
    for x in xs:
        dbn(x, finetune=True)
    assert dbn.N == 3
    np.testing.assert_allclose(dbn.avg_mean[0], np.mean([x.mean(0) for x in xs], 0),
                               rtol=1e-10)
    dbn.start_finetuning()
    assert dbn.N == 0


def test_copy_keeps_statistics():
    dbn = L.DecorrelatedBatchNormalization(4, groups=2)
    dbn(np.random.randn(6, 4).astype(np.float32))
    clone = copy.deepcopy(dbn)
    np.testing.assert_array_equal(clone.avg_projection, dbn.avg_projection)
