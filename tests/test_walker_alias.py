import numpy as np
import pytest

import tracegrad
from tracegrad.utils import WalkerAlias


def _chi_square(samples, probs):
    n = samples.size
    expected = n * np.asarray(probs, np.float64) / np.sum(probs)
    observed = np.bincount(samples.ravel(), minlength=len(probs))
    kept = expected > 0
    assert (observed[~kept] == 0).all(), 'an entry of probability 0 was drawn'
    return float(((observed[kept] - expected[kept]) ** 2 / expected[kept]).sum())


# The 0.999 quantiles of the chi-square distribution for the degrees of freedom used.
_CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46, 9: 27.88}


@pytest.mark.parametrize('probs', [
    [1.0],
    [0.5, 0.5],
    [1, 2, 3, 4],
    [5, 0, 1, 0.25, 3, 7, 1],
    [10, 1, 1, 1, 1, 1, 1, 1, 1, 1],
])
def test_sampling_frequencies_match_probs(probs):
    np.random.seed(3)
    sampler = WalkerAlias(probs)
    samples = sampler.sample((200, 250))
    assert samples.shape == (200, 250) and samples.dtype == np.int32
    assert samples.min() >= 0 and samples.max() < len(probs)
    dof = int(np.count_nonzero(probs)) - 1
    if dof:
        assert _chi_square(samples, probs) < _CHI2_999[dof]
    else:
        assert (samples == int(np.flatnonzero(probs)[0])).all()


def test_table_is_chainers_layout():
    sampler = WalkerAlias([1, 2, 3, 4, 0])
    assert sampler.threshold.dtype == np.float32 and sampler.threshold.shape == (5,)
    assert sampler.values.dtype == np.int32 and sampler.values.shape == (10,)
    # each slot holds its own entry and an alias; a slot's mass adds up to the probs
    own, alias = sampler.values[0::2], sampler.values[1::2]
    np.testing.assert_array_equal(own, np.arange(5))
    mass = np.zeros(5)
    np.add.at(mass, own, sampler.threshold)
    np.add.at(mass, alias, 1 - sampler.threshold)
    np.testing.assert_allclose(mass / 5, [.1, .2, .3, .4, 0], atol=1e-6)


def test_fixed_seed_gives_fixed_samples():
    sampler = WalkerAlias([3, 1, 2])
    np.random.seed(7)
    a = sampler.sample((4, 5))
    np.random.seed(7)
    np.testing.assert_array_equal(a, sampler.sample((4, 5)))


def test_sample_shapes():
    sampler = WalkerAlias([1, 1, 2])
    assert sampler.sample((3,)).shape == (3,)
    assert sampler.sample(4).shape == (4,)
    assert sampler.sample((0, 2)).shape == (0, 2)
    assert sampler.sample((2, 1, 3)).shape == (2, 1, 3)


@pytest.mark.parametrize('probs, match', [
    ([], 'at least one'),
    ([1, -1], 'non-negative'),
    ([0, 0], 'all be zero'),
    ([1, np.nan], 'finite'),
])
def test_bad_probs_raise(probs, match):
    with pytest.raises(ValueError, match=f'WalkerAlias.*{match}'):
        WalkerAlias(probs)


def test_cpu_device():
    sampler = WalkerAlias([1, 2])
    assert sampler.to_cpu() is sampler
    assert sampler.xp is np and not sampler.use_gpu
    assert str(sampler.device) == '@numpy'
    assert isinstance(sampler.sample((2,)), np.ndarray)


@pytest.mark.gpu
def test_gpu_sampling_frequencies():
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    probs = [5, 0, 1, 0.25, 3, 7, 1]
    sampler = WalkerAlias(probs)
    assert sampler.to_gpu() is sampler
    assert sampler.use_gpu and sampler.xp is cuda.cupy
    cuda.cupy.random.seed(3)
    samples = sampler.sample((200, 250))
    assert isinstance(samples, cuda.ndarray) and samples.dtype == np.int32
    assert _chi_square(cuda.to_cpu(samples), probs) < _CHI2_999[5]
    sampler.to_device('@numpy')
    assert isinstance(sampler.sample((2,)), np.ndarray)


def test_is_exported_as_chainer_names_it():
    assert tracegrad.utils.WalkerAlias is WalkerAlias
