"""Behaviour shared by SerialIterator, MultiprocessIterator and MultithreadIterator:
epoch counting, order, repeat, reset, and resuming from a snapshot."""
import numpy as np
import pytest

from tracegrad import datasets, iterators, serializers


def serial(dataset, batch_size, **kwargs):
    return iterators.SerialIterator(dataset, batch_size, **kwargs)


def multiprocess(dataset, batch_size, **kwargs):
    return iterators.MultiprocessIterator(dataset, batch_size, n_processes=2, n_prefetch=2,
                                          **kwargs)


def multithread(dataset, batch_size, **kwargs):
    return iterators.MultithreadIterator(dataset, batch_size, n_threads=2, **kwargs)


@pytest.fixture(params=[serial, multiprocess, multithread])
def make(request):
    made = []

    def factory(*args, **kwargs):
        it = request.param(*args, **kwargs)
        made.append(it)
        return it

    factory.kind = request.param.__name__
    yield factory
    for it in made:
        it.finalize()


def test_epochs_in_order(make):
    it = make(list(range(6)), 2, shuffle=False)
    assert it.epoch == 0 and it.epoch_detail == 0 and it.previous_epoch_detail is None
    assert not it.is_new_epoch and it.current_position == 0
    for epoch in range(3):
        for i in range(3):
            assert next(it) == [2 * i, 2 * i + 1]
            assert it.epoch == epoch + (i == 2)
            assert it.is_new_epoch == (i == 2)
            assert it.epoch_detail == pytest.approx(epoch + (i + 1) / 3)
            assert it.previous_epoch_detail == pytest.approx(epoch + i / 3)
            assert it.current_position == (2 * i + 2) % 6


def test_batches_cross_epochs(make):
    it = make(list(range(5)), 2, shuffle=False)
    batches = [next(it) for _ in range(5)]
    assert batches == [[0, 1], [2, 3], [4, 0], [1, 2], [3, 4]]
    assert it.epoch == 2 and it.epoch_detail == pytest.approx(2.0)
    assert it.previous_epoch_detail == pytest.approx(1.6)
    it = make(list(range(3)), 7, shuffle=False)
    assert next(it) == [0, 1, 2, 0, 1, 2, 0]
    assert it.epoch == 2 and it.current_position == 1 and it.is_new_epoch


def test_no_repeat_stops(make):
    it = make(list(range(5)), 2, repeat=False, shuffle=False)
    assert list(it) == [[0, 1], [2, 3], [4]]
    assert it.epoch == 1 and it.is_new_epoch and it.epoch_detail == 1.0
    for _ in range(2):
        with pytest.raises(StopIteration):
            next(it)
    assert not it.repeat


def test_shuffle_visits_each_example_once_per_epoch(make):
    np.random.seed(1)
    it = make(list(range(12)), 4, shuffle=True)
    orders = []
    for _ in range(3):
        epoch = [example for _ in range(3) for example in next(it)]
        assert sorted(epoch) == list(range(12))
        orders.append(epoch)
    assert orders[0] != orders[1] or orders[1] != orders[2]


def test_no_repeat_shuffle_covers_the_data_set(make):
    it = make(list(range(7)), 3, repeat=False)
    assert sorted(example for batch in it for example in batch) == list(range(7))


@pytest.mark.parametrize('batch_size', [1, 3, 4, 10])
def test_same_batches_as_serial_iterator_for_a_seed(make, batch_size):
    # Draws from the global generator between batches (like dropout in a training loop)
    # must not change which batches come: the order sampler is called at the same points.
    def run(factory):
        np.random.seed(7)
        it = factory(list(range(10)), batch_size)
        batches = []
        for _ in range(12):
            batches.append(next(it))
            np.random.uniform()
        it.finalize()
        return batches

    assert run(make) == run(serial)


def test_tuple_and_dict_examples(make):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    it = make(datasets.TupleDataset(x, np.arange(6, dtype=np.int32)), 4, shuffle=False)
    batch = next(it)
    assert len(batch) == 4 and isinstance(batch[0], tuple)
    np.testing.assert_array_equal(batch[3][0], [6, 7])
    assert batch[3][1] == 3
    it = make(datasets.DictDataset(a=[1, 2, 3]), 2, shuffle=False)
    assert next(it) == [{'a': 1}, {'a': 2}]


def test_custom_order_sampler(make):
    def backwards(order, position):
        return np.arange(len(order))[::-1]

    it = make(list(range(4)), 2, order_sampler=backwards)
    assert [next(it) for _ in range(4)] == [[3, 2], [1, 0], [3, 2], [1, 0]]


def test_bad_arguments(make):
    with pytest.raises(ValueError, match='order_sampler'):
        make([1, 2], 1, shuffle=True, order_sampler=iterators.ShuffleOrderSampler())
    calls = []

    def shrinking(order, position):  # the first order is fine, the next one too short
        calls.append(position)
        return np.arange(3 if len(calls) == 1 else 2)

    it = make([1, 2, 3], 2, order_sampler=shrinking)
    next(it)
    with pytest.raises(ValueError, match='size of order does not match'):
        next(it)
    it = make([], 2)
    with pytest.raises(ValueError, match='Epoch size must be positive'):
        next(it)


def test_reset(make):
    it = make(list(range(5)), 2, shuffle=False)
    next(it)
    next(it)
    next(it)
    it.reset()
    assert it.epoch == 0 and it.current_position == 0 and it.previous_epoch_detail is None
    assert not it.is_new_epoch
    assert next(it) == [0, 1]
    it = make(list(range(5)), 2, repeat=False, shuffle=False)
    list(it)
    it.reset()
    assert list(it) == [[0, 1], [2, 3], [4]]


def test_snapshot_keys(make):
    np.random.seed(0)
    it = make(list(range(5)), 2)
    next(it)
    target = serializers.DictionarySerializer()
    target.save(it)
    assert set(target.target) == {'current_position', 'epoch', 'is_new_epoch', 'order',
                                  'previous_epoch_detail'}
    assert target.target['current_position'] == 2 and target.target['epoch'] == 0
    assert target.target['previous_epoch_detail'] == 0.0
    it = make(list(range(5)), 2, shuffle=False)
    target = serializers.DictionarySerializer()
    target.save(it)
    assert target.target['previous_epoch_detail'] == -1  # None is saved as -1
    assert 'order' not in target.target


@pytest.mark.parametrize('stop_after', [1, 3, 4])
def test_resume_mid_epoch_continues_identically(make, tmp_path, stop_after):
    data = list(range(7))

    def fresh():
        sampler = iterators.ShuffleOrderSampler(np.random.RandomState(3))
        return make(data, 3, order_sampler=sampler)

    reference = fresh()
    expected = [next(reference) for _ in range(stop_after + 8)]
    details = (reference.epoch, reference.epoch_detail, reference.is_new_epoch)

    first = fresh()
    for _ in range(stop_after):
        next(first)
    serializers.save_npz(tmp_path / 'it.npz', first)
    first.finalize()
    np.random.RandomState(99).permutation(5)  # unrelated draws in between do not matter

    resumed = fresh()
    next(resumed)  # the resumed iterator's own progress is overwritten
    serializers.load_npz(tmp_path / 'it.npz', resumed)
    assert resumed.epoch_detail == pytest.approx(stop_after * 3 / 7)
    assert resumed.previous_epoch_detail == pytest.approx((stop_after - 1) * 3 / 7)
    rest = [next(resumed) for _ in range(8)]
    assert rest == expected[stop_after:]
    assert (resumed.epoch, resumed.epoch_detail, resumed.is_new_epoch) == details


def test_resume_from_chainer_style_snapshot(make):
    # Chainer's MultithreadIterator saved '_order'; older snapshots lack
    # previous_epoch_detail, which is then inferred.
    it = make(list(range(4)), 1, shuffle=True)
    snapshot = {'current_position': np.array(3), 'epoch': np.array(1),
                'is_new_epoch': np.array(False), '_order': np.array([3, 1, 0, 2])}
    serializers.NpzDeserializer(snapshot).load(it)
    assert it.epoch == 1 and it.current_position == 3
    assert it.previous_epoch_detail == pytest.approx(1.5)
    assert next(it) == [2]
    assert it.is_new_epoch and it.epoch == 2
