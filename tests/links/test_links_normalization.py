import numpy as np
import pytest

import tracegrad
import tracegrad.links as L


def _bn_ref(x, gamma, beta, mean, var, eps, axes):
    shape = [1 if i in axes else s for i, s in enumerate(x.shape)]
    return (gamma.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
            + beta.reshape(shape))


def test_batch_normalization_train_updates_running_statistics(float64_params,
                                                              check_link_backward):
    np.random.seed(0)
    bn = L.BatchNormalization(3, decay=0.8)
    assert bn.gamma.dtype == np.float64 and bn.avg_mean.dtype == np.float64
    bn.gamma.array[...] = np.random.uniform(0.5, 1.5, 3)
    bn.beta.array[...] = np.random.randn(3)
    x = np.random.randn(4, 3, 2, 2)
    axes = (0, 2, 3)
    mean, var = x.mean(axes), x.var(axes)
    y = bn(x)
    np.testing.assert_allclose(y.array, _bn_ref(x, bn.gamma.array, bn.beta.array, mean, var,
                                                2e-5, axes), rtol=1e-6, atol=1e-8)
    m = x.size // 3
    np.testing.assert_allclose(bn.avg_mean, 0.2 * mean, rtol=1e-10)
    np.testing.assert_allclose(bn.avg_var, 0.8 + 0.2 * var * m / (m - 1), rtol=1e-10)
    with tracegrad.using_config('train', False):
        check_link_backward(bn, x)
    check_link_backward(bn, x, atol=1e-5, rtol=1e-4)


def test_batch_normalization_test_mode_uses_running_statistics(float64_params):
    bn = L.BatchNormalization(3)
    bn.avg_mean[...] = [1., 2., 3.]
    bn.avg_var[...] = [4., 1., 0.25]
    x = np.random.randn(5, 3)
    with tracegrad.using_config('train', False):
        y = bn(x)
    np.testing.assert_allclose(
        y.array, (x - bn.avg_mean) / np.sqrt(bn.avg_var + 2e-5), rtol=1e-10)
    np.testing.assert_array_equal(bn.avg_mean, [1., 2., 3.])


def test_batch_normalization_finetune_averages_all_batches(float64_params):
    bn = L.BatchNormalization(2)
    xs = [np.random.randn(6, 2) for _ in range(3)]
    for x in xs:
        bn(x, finetune=True)
    assert bn.N == 3
    np.testing.assert_allclose(bn.avg_mean, np.mean([x.mean(0) for x in xs], 0), rtol=1e-10)
    np.testing.assert_allclose(bn.avg_var, np.mean([x.var(0, ddof=1) for x in xs], 0),
                               rtol=1e-10)
    bn.start_finetuning()
    assert bn.N == 0


def test_batch_normalization_options():
    bn = L.BatchNormalization(3, use_gamma=False, use_beta=False, eps=1e-3,
                              initial_avg_mean=5., initial_avg_var=2.)
    assert bn.gamma is None and bn.beta is None
    assert list(bn.namedparams()) == []
    np.testing.assert_array_equal(bn.avg_mean, [5., 5., 5.])
    np.testing.assert_array_equal(bn.avg_var, [2., 2., 2.])
    x = np.random.randn(4, 3).astype(np.float32)
    np.testing.assert_allclose(bn(x).array, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3),
                               rtol=1e-4, atol=1e-5)
    assert bn._persistent == {'N', 'avg_mean', 'avg_var'}
    with pytest.raises(RuntimeError, match='size or axis'):
        L.BatchNormalization()
    bn16 = L.BatchNormalization(3, dtype=np.float16)
    assert bn16.avg_mean.dtype == np.float32 and bn16.gamma.dtype == np.float32
    g = tracegrad.initializers.Constant(2.0)
    bn2 = L.BatchNormalization(2, initial_gamma=g, dtype=np.float64)
    assert bn2.gamma.dtype == np.float64 and g.dtype is None  # the user's object is unchanged


def test_batch_normalization_lazy_axis():
    x = np.random.randn(4, 3, 2, 2).astype(np.float32)
    bn = L.BatchNormalization(axis=(0, 2, 3))
    assert bn.avg_mean is None and bn.gamma.array is None
    bn(x)
    assert bn.avg_mean.shape == (3,) and bn.gamma.shape == (3,)
    bn = L.BatchNormalization(axis=0)
    bn(x)
    assert bn.avg_mean.shape == (3, 2, 2)


def test_batch_normalization_copy_and_serialize_keep_statistics():
    bn = L.BatchNormalization(2)
    bn(np.random.randn(5, 2).astype(np.float32))
    c = bn.copy('copy')
    np.testing.assert_array_equal(c.avg_mean, bn.avg_mean)
    assert c.avg_mean is not bn.avg_mean


def test_layer_normalization(float64_params, check_link_backward):
    np.random.seed(0)
    ln = L.LayerNormalization()
    x = np.random.randn(3, 8)
    y = ln(x)
    assert ln.gamma.shape == (8,)
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(y.array, expected, rtol=1e-6, atol=1e-9)
    ln2 = L.LayerNormalization(5, eps=1e-3, initial_gamma=2., initial_beta=1.)
    ln2.gamma.array[...] = np.random.uniform(0.5, 2, 5)
    x2 = np.random.randn(4, 5)
    check_link_backward(ln2, x2, atol=1e-5, rtol=1e-4)


def test_group_normalization(float64_params, check_link_backward):
    np.random.seed(0)
    gn = L.GroupNormalization(2)
    x = np.random.randn(2, 4, 3)
    y = gn(x)
    assert gn.gamma.shape == (4,)
    g = x.reshape(2, 2, -1)
    expected = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5))
    np.testing.assert_allclose(y.array, expected.reshape(x.shape), rtol=1e-6, atol=1e-9)
    gn.gamma.array[...] = np.random.uniform(0.5, 2, 4)
    gn.beta.array[...] = np.random.randn(4)
    check_link_backward(gn, x, atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match='at least 2'):
        L.GroupNormalization(2)(np.zeros(4))
