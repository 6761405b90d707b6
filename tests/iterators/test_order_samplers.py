"""ShuffleOrderSampler and the choice between shuffle and order_sampler."""
import numpy as np

from tracegrad import iterators, serializers


def test_global_generator_by_default():
    sampler = iterators.ShuffleOrderSampler()
    np.random.seed(0)
    order = sampler(np.arange(6), 0)
    np.random.seed(0)
    np.testing.assert_array_equal(order, np.random.permutation(6))


def test_private_generator():
    sampler = iterators.ShuffleOrderSampler(np.random.RandomState(1))
    np.testing.assert_array_equal(sampler(np.arange(5), 3),
                                  np.random.RandomState(1).permutation(5))


def test_private_generator_state_is_saved_and_loaded():
    sampler = iterators.ShuffleOrderSampler(np.random.RandomState(2))
    sampler(np.arange(4), 0)
    saved = serializers.DictionarySerializer()
    sampler.serialize(saved)
    assert set(saved.target) == {'keys', 'pos', 'has_gauss', 'cached_gaussian'}
    expected = sampler(np.arange(10), 0)
    other = iterators.ShuffleOrderSampler(np.random.RandomState(77))
    other.serialize(serializers.NpzDeserializer(saved.target))
    np.testing.assert_array_equal(other(np.arange(10), 0), expected)


def test_global_generator_state_is_not_saved():
    saved = serializers.DictionarySerializer()
    iterators.ShuffleOrderSampler().serialize(saved)
    assert saved.target == {}


def test_shuffle_option_picks_the_sampler():
    assert iterators.SerialIterator([1], 1, shuffle=False).order_sampler is None
    assert isinstance(iterators.SerialIterator([1], 1, shuffle=True).order_sampler,
                      iterators.ShuffleOrderSampler)
    assert isinstance(iterators.SerialIterator([1], 1).order_sampler,
                      iterators.ShuffleOrderSampler)
    sampler = iterators.ShuffleOrderSampler()
    assert iterators.SerialIterator([1], 1, order_sampler=sampler).order_sampler is sampler
