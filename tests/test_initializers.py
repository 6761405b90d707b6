import pickle

import numpy as np
import pytest

import tracegrad
from tracegrad import initializers


def _draw(init, shape=(200, 300), dtype=np.float32):
    return initializers.generate_array(init, shape, np, dtype=dtype)


@pytest.mark.parametrize('cls, std', [
    (initializers.LeCunNormal, lambda fi, fo: np.sqrt(1. / fi)),
    (initializers.GlorotNormal, lambda fi, fo: np.sqrt(2. / (fi + fo))),
    (initializers.HeNormal, lambda fi, fo: np.sqrt(2. / fi)),
    (initializers.LeCunUniform, lambda fi, fo: np.sqrt(3. / fi) / np.sqrt(3)),
    (initializers.GlorotUniform, lambda fi, fo: np.sqrt(6. / (fi + fo)) / np.sqrt(3)),
    (initializers.HeUniform, lambda fi, fo: np.sqrt(6. / fi) / np.sqrt(3)),
])
def test_fan_scaled_statistics(cls, std):
    a = _draw(cls(), (100, 30, 2, 2))
    fan_in, fan_out = 30 * 4, 100 * 4
    assert abs(a.mean()) < 0.01
    np.testing.assert_allclose(a.std(), std(fan_in, fan_out), rtol=0.03)


def test_scale_multiplies_the_deviation():
    a = _draw(initializers.LeCunNormal(scale=3.0), (300, 100))
    np.testing.assert_allclose(a.std(), 3.0 * np.sqrt(1. / 100), rtol=0.03)


def test_uniform_bounds():
    a = _draw(initializers.Uniform(0.2))
    assert a.min() >= -0.2 and a.max() <= 0.2
    assert a.min() < -0.19 and a.max() > 0.19
    b = _draw(initializers.HeUniform(), (50, 24))
    assert np.abs(b).max() <= np.sqrt(6. / 24)


def test_normal_statistics():
    a = _draw(initializers.Normal(0.5))
    np.testing.assert_allclose(a.std(), 0.5, rtol=0.03)
    assert abs(a.mean()) < 0.01


def test_seeded_values_are_chainers():
    # Chainer draws numpy.random.normal(0, s, shape) in float64 and casts.
    np.random.seed(0)
    a = _draw(initializers.LeCunNormal(), (2, 3))
    np.testing.assert_array_equal(a, np.array([[1.0184761, 0.23103087, 0.5650746],
                                               [1.2937803, 1.0782351, -0.56423163]],
                                              np.float32))
    np.random.seed(1)
    b = _draw(initializers.GlorotUniform(), (4, 5))
    np.random.seed(1)
    expected = np.random.uniform(-np.sqrt(6. / 9), np.sqrt(6. / 9), (4, 5)).astype(np.float32)
    np.testing.assert_array_equal(b, expected)
    np.random.seed(2)
    c = _draw(initializers.HeNormal(fan_option='fan_out'), (4, 5))
    np.random.seed(2)
    np.testing.assert_array_equal(
        c, np.random.normal(0, np.sqrt(2. / 4), (4, 5)).astype(np.float32))


def test_rng_argument_is_used_instead_of_the_global_state():
    a = _draw(initializers.Normal(1.0, rng=np.random.RandomState(5)), (3, 3))
    b = _draw(initializers.Normal(1.0, rng=np.random.RandomState(5)), (3, 3))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError):
        initializers.Normal(1.0, foo=1)


def test_float64_and_float16():
    a = _draw(initializers.LeCunNormal(), (3, 4), dtype=np.float64)
    assert a.dtype == np.float64
    h = _draw(initializers.GlorotUniform(), (3, 4), dtype=np.float16)
    assert h.dtype == np.float16


def test_constants():
    a = _draw(initializers.Constant(2.5), (2, 3))
    np.testing.assert_array_equal(a, np.full((2, 3), 2.5, np.float32))
    np.testing.assert_array_equal(_draw(initializers.Zero(), (2,)), [0., 0.])
    np.testing.assert_array_equal(_draw(initializers.One(), (2,)), [1., 1.])
    assert np.isnan(_draw(initializers.NaN(), (3,))).all()
    row = np.array([1, 2, 3], np.float64)
    np.testing.assert_array_equal(_draw(initializers.Constant(row), (2, 3)), [row, row])
    # a leading unit axis is dropped, as in NumPy assignment
    np.testing.assert_array_equal(_draw(initializers.Constant(row[None]), (3,)), row)


def test_constant_rejects_bad_fill_and_dtype():
    with pytest.raises(ValueError, match='fill_value'):
        initializers.Constant('a')
    a = np.empty(3, np.float64)
    with pytest.raises(ValueError, match='float32'):
        initializers.Zero(np.float32)(a)


def test_identity():
    a = _draw(initializers.Identity(scale=3), (3, 3))
    np.testing.assert_array_equal(a, 3 * np.eye(3))
    with pytest.raises(ValueError, match='square'):
        _draw(initializers.Identity(), (2, 3))


@pytest.mark.parametrize('shape', [(3, 5), (5, 3), (4, 4), (3, 2, 2)])
def test_orthogonal(shape):
    a = _draw(initializers.Orthogonal(scale=2.0), shape, dtype=np.float64)
    m = a.reshape(len(a), -1)
    if m.shape[0] <= m.shape[1]:
        np.testing.assert_allclose(m @ m.T, 4 * np.eye(m.shape[0]), atol=1e-10)
    else:
        np.testing.assert_allclose(m.T @ m, 4 * np.eye(m.shape[1]), atol=1e-10)


def test_orthogonal_modes_and_errors():
    with pytest.raises(ValueError, match='Invalid mode|invalid mode'):
        initializers.Orthogonal(mode='nope')
    with pytest.raises(ValueError, match='embedding'):
        _draw(initializers.Orthogonal(mode='embedding'), (2, 3))
    with pytest.raises(ValueError, match='projection'):
        _draw(initializers.Orthogonal(mode='projection'), (3, 2))
    with pytest.raises(ValueError, match='basis'):
        _draw(initializers.Orthogonal(mode='basis'), (3, 2))
    _draw(initializers.Orthogonal(mode='projection'), (2, 3))
    _draw(initializers.Orthogonal(mode='embedding'), (3, 2))
    with pytest.raises(ValueError, match='non-empty'):
        _draw(initializers.Orthogonal(), (0, 3))
    s = _draw(initializers.Orthogonal(scale=1.5), ())
    assert abs(float(s)) == 1.5


def test_get_fans():
    assert initializers.get_fans((4, 3)) == (3, 4)
    assert initializers.get_fans((4, 3, 5, 5)) == (75, 100)
    with pytest.raises(ValueError):
        initializers.get_fans((4,))
    with pytest.raises(ValueError):
        initializers.get_fans([4, 3])


def test_get_initializer():
    assert isinstance(initializers._get_initializer(None), initializers.LeCunNormal)
    c = initializers._get_initializer(3)
    assert isinstance(c, initializers.Constant) and c.fill_value == 3
    arr = np.ones(2, np.float32)
    assert initializers._get_initializer(arr).fill_value is arr
    init = initializers.HeNormal()
    assert initializers._get_initializer(init) is init
    assert initializers._get_initializer(np.float32(1)).fill_value == 1
    with pytest.raises(TypeError, match='initializer'):
        initializers._get_initializer('nope')


def test_generate_array_dtype_rules():
    assert _draw(initializers.One(), (2,), dtype=None).dtype == np.float32
    assert initializers.generate_array(initializers.One(np.float64), (2,), np).dtype == np.float64
    with pytest.raises(ValueError, match='dtype mismatch'):
        initializers.generate_array(initializers.One(np.float64), (2,), np, dtype=np.float32)
    with tracegrad.using_config('dtype', np.dtype(np.float64)):
        assert initializers.generate_array(initializers.One(), 3, np).dtype == np.float64


def test_parameter_uses_initializers():
    p = tracegrad.Parameter(initializers.Constant(4.0), (2,))
    np.testing.assert_array_equal(p.array, [4., 4.])
    q = tracegrad.Parameter(None, (2,))
    assert np.isnan(q.array).all()


def test_initializers_pickle():
    init = pickle.loads(pickle.dumps(initializers.HeNormal(2.0, fan_option='fan_out')))
    assert init.scale == 2.0 and init.fan_option == 'fan_out'
    assert tracegrad.Initializer is initializers.Initializer


def test_upsampling_filter_interpolates_linearly():
    w = _draw(initializers.UpsamplingDeconvFilter(), (3, 3, 4, 4))
    tent = np.array([.25, .75, .75, .25])
    np.testing.assert_allclose(w[1, 1], np.outer(tent, tent))
    assert not w[0, 1].any() and not w[2, 0].any()  # each channel maps to itself
    # A deconvolution with it (stride 2, pad 1) doubles a ramp's resolution linearly.
    from tracegrad import functions as F

    x = np.tile(np.arange(5, dtype=np.float32), (1, 1, 5, 1))
    y = F.deconvolution_2d(x, w[:1, :1], stride=2, pad=1).array[0, 0]
    np.testing.assert_allclose(y[4, 1:-1], np.arange(0.25, 4, 0.5), rtol=1e-6)


def test_downsampling_filter_averages():
    w = _draw(initializers.DownsamplingConvFilter(), (2, 1, 3, 3, 3), np.float64)
    np.testing.assert_allclose(w.sum(axis=(2, 3, 4)), [[1.], [1.]])
    tent = np.array([.5, 1., .5])
    np.testing.assert_allclose(w[1, 0], np.einsum('i,j,k', tent, tent, tent) / 8.)


def test_sampling_filters_reject_bad_shapes():
    with pytest.raises(ValueError, match="UpsamplingDeconvFilter: unsupported interpolation 'cubic'"):
        initializers.UpsamplingDeconvFilter('cubic')
    with pytest.raises(ValueError, match='DownsamplingConvFilter: the kernel must have equal sides'):
        _draw(initializers.DownsamplingConvFilter(), (2, 2, 3, 4))
    with pytest.raises(ValueError, match='map each channel to itself'):
        _draw(initializers.DownsamplingConvFilter(), (2, 3, 3, 3))
