import copy

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L


def _renorm_ref(x, gamma, beta, mean_run, var_run, rmax, dmax, eps=2e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, -1] + [1] * (x.ndim - 2)
    mean, std = x.mean(axes), np.sqrt(x.var(axes) + eps)
    std_run = np.sqrt(var_run + eps)
    r = np.clip(std / std_run, 1 / rmax, rmax)
    d = np.clip((mean - mean_run) / std_run, -dmax, dmax)
    x_hat = (x - mean.reshape(shape)) / std.reshape(shape)
    return gamma.reshape(shape) * (x_hat * r.reshape(shape) + d.reshape(shape)) + \
        beta.reshape(shape)


def test_train_renormalizes_and_updates_statistics(float64_params):
    rng = np.random.RandomState(0)
    brn = L.BatchRenormalization(3, rmax=1.5, dmax=0.3, decay=0.8)
    assert isinstance(brn, L.BatchNormalization)
    assert brn.rmax == 1.5 and brn.dmax == 0.3 and brn.decay == 0.8
    brn.gamma.array[...] = rng.uniform(0.5, 1.5, 3)
    brn.beta.array[...] = rng.randn(3)
    brn.avg_mean[...] = [0.2, -0.1, 0.]
    brn.avg_var[...] = [0.5, 2., 1.]
    mean0, var0 = brn.avg_mean.copy(), brn.avg_var.copy()
    x = rng.randn(4, 3, 2, 2) * 1.3 + 0.1
    y = brn(x)
    np.testing.assert_allclose(y.array, _renorm_ref(x, brn.gamma.array, brn.beta.array, mean0,
                                                    var0, 1.5, 0.3), rtol=1e-10, atol=1e-12)
    axes = (0, 2, 3)
    m = x.size // 3
    np.testing.assert_allclose(brn.avg_mean, 0.8 * mean0 + 0.2 * x.mean(axes), rtol=1e-10)
    np.testing.assert_allclose(brn.avg_var, 0.8 * var0 + 0.2 * x.var(axes) * m / (m - 1),
                               rtol=1e-10)
    assert brn.N == 0


def test_test_mode_uses_running_statistics(float64_params, check_link_backward):
    brn = L.BatchRenormalization(3, rmax=3, dmax=1)
    brn.avg_mean[...] = [1., 2., 3.]
    brn.avg_var[...] = [4., 1., 0.25]
    x = np.random.randn(5, 3)
    with tracegrad.using_config('train', False):
        y = brn(x)
        check_link_backward(brn, x)
    np.testing.assert_allclose(y.array, (x - brn.avg_mean) / np.sqrt(brn.avg_var + 2e-5),
                               rtol=1e-10)
    np.testing.assert_array_equal(brn.avg_mean, [1., 2., 3.])


def test_default_limits_are_batch_normalization(float64_params, check_link_backward):
    brn = L.BatchRenormalization(4)
    assert brn.rmax == 1 and brn.dmax == 0
    bn = L.BatchNormalization(4)
    x = np.random.randn(3, 4, 5)
    np.testing.assert_allclose(brn(x).array, bn(x).array, rtol=1e-10)
    np.testing.assert_allclose(brn.avg_var, bn.avg_var, rtol=1e-12)
    check_link_backward(brn, x, atol=1e-5, rtol=1e-4)


def test_finetune_averages_all_batches(float64_params):
    brn = L.BatchRenormalization(2, rmax=2, dmax=1)
    xs = [np.random.randn(6, 2) for _ in range(3)]
    for x in xs:
        brn(x, finetune=True)
    assert brn.N == 3
    np.testing.assert_allclose(brn.avg_mean, np.mean([x.mean(0) for x in xs], 0), rtol=1e-10)
    np.testing.assert_allclose(brn.avg_var, np.mean([x.var(0, ddof=1) for x in xs], 0),
                               rtol=1e-10)


def test_options_and_persistent_values():
    brn = L.BatchRenormalization((2, 3), rmax=2, dmax=1, dtype=np.float64, use_gamma=False,
                                 use_beta=False, initial_avg_mean=0.5, initial_avg_var=2.)
    assert brn.gamma is None and brn.beta is None
    assert brn.avg_mean.shape == (2, 3) and brn.avg_mean.dtype == np.float64
    np.testing.assert_array_equal(brn.avg_mean, 0.5)
    np.testing.assert_array_equal(brn.avg_var, 2.)
    x = np.random.randn(4, 2, 3)
    y = brn(x)
    assert y.shape == x.shape and y.dtype == np.float64
    brn2 = L.BatchRenormalization(3, initial_gamma=2., initial_beta=-1., eps=1e-3)
    np.testing.assert_array_equal(brn2.gamma.array, 2.)
    np.testing.assert_array_equal(brn2.beta.array, -1.)
    assert brn2.eps == 1e-3
    assert {'avg_mean', 'avg_var', 'N'} <= set(brn._persistent)
    clone = copy.deepcopy(brn)
    np.testing.assert_array_equal(clone.avg_var, brn.avg_var)
    assert clone.rmax == 2 and clone.dmax == 1


def test_bad_input_names_the_function():
    brn = L.BatchRenormalization(3, rmax=2, dmax=1)
    with pytest.raises(Exception, match='BatchRenormalization'):
        brn(np.zeros((4, 5), np.float32))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_link_in_a_classifier_trains(dtype):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = tracegrad.Sequential(L.Linear(4, 5), L.BatchRenormalization(5, rmax=2, dmax=1),
                                     F.relu, L.Linear(5, 2))
    x = np.random.randn(6, 4).astype(dtype)
    loss = F.sum(model(x) ** 2)
    loss.backward()
    for p in model.params():
        assert p.grad is not None and p.grad.dtype == np.dtype(dtype)
