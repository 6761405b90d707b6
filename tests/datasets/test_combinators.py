"""TupleDataset, DictDataset, SubDataset and the splits, TransformDataset, ConcatenatedDataset."""
import numpy as np
import pytest

from tracegrad import datasets


def test_tuple_dataset():
    x = np.arange(12).reshape(4, 3)
    ds = datasets.TupleDataset(x, [8, 0, 5, 1])
    assert len(ds) == 4
    a, b = ds[2]
    np.testing.assert_array_equal(a, [6, 7, 8])
    assert b == 5
    sliced = ds[1:3]
    assert isinstance(sliced, list) and len(sliced) == 2
    np.testing.assert_array_equal(sliced[1][0], [6, 7, 8])
    assert sliced[0][1] == 0
    assert ds[-1][1] == 1
    arrays = datasets.TupleDataset(x, np.arange(4))[np.array([0, 3])]  # fancy index on arrays
    np.testing.assert_array_equal(arrays[1], [0, 3])


def test_tuple_dataset_errors():
    with pytest.raises(ValueError, match='no datasets'):
        datasets.TupleDataset()
    with pytest.raises(ValueError, match='index 1 has a wrong length'):
        datasets.TupleDataset([1, 2], [1])


def test_dict_dataset():
    ds = datasets.DictDataset(x=np.arange(4), t=[3, 2, 1, 0])
    assert len(ds) == 4
    assert ds[1] == {'x': 1, 't': 2}
    assert ds[2:] == [{'x': 2, 't': 1}, {'x': 3, 't': 0}]
    with pytest.raises(ValueError, match='no datasets'):
        datasets.DictDataset()
    with pytest.raises(ValueError, match='conflicts at "b"'):
        datasets.DictDataset(a=[1, 2], b=[1])


def test_sub_dataset():
    base = list(range(10, 20))
    sub = datasets.SubDataset(base, 2, 6)
    assert len(sub) == 4
    assert sub[0] == 12 and sub[3] == 15 and sub[-1] == 15 and sub[-4] == 12
    assert sub[:] == [12, 13, 14, 15]
    for bad in (4, -5):
        with pytest.raises(IndexError):
            sub[bad]
    order = list(reversed(range(10)))
    sub = datasets.SubDataset(base, 0, 3, order)
    assert sub[:] == [19, 18, 17]
    with pytest.raises(ValueError, match='overruns'):
        datasets.SubDataset(base, 0, 11)
    with pytest.raises(ValueError, match='overruns'):
        datasets.SubDataset(base, -1, 3)
    with pytest.raises(ValueError, match='same length'):
        datasets.SubDataset(base, 0, 3, [0, 1])


def test_split_dataset():
    a, b = datasets.split_dataset(list(range(5)), 2)
    assert a[:] == [0, 1] and b[:] == [2, 3, 4]
    a, b = datasets.split_dataset(list(range(5)), np.int64(0), order=[4, 3, 2, 1, 0])
    assert a[:] == [] and b[:] == [4, 3, 2, 1, 0]
    with pytest.raises(TypeError, match='split_at must be int'):
        datasets.split_dataset([1, 2], 1.0)
    with pytest.raises(ValueError, match='non-negative'):
        datasets.split_dataset([1, 2], -1)
    with pytest.raises(ValueError, match='exceeds'):
        datasets.split_dataset([1, 2], 3)


def test_split_dataset_random_is_seeded_and_disjoint():
    base = list(range(20))
    a, b = datasets.split_dataset_random(base, 7, seed=3)
    a2, b2 = datasets.split_dataset_random(base, 7, seed=3)
    assert a[:] == a2[:] and b[:] == b2[:]
    assert len(a) == 7 and len(b) == 13
    assert sorted(a[:] + b[:]) == base
    assert a[:] == list(np.random.RandomState(3).permutation(20)[:7])


def test_split_dataset_n():
    parts = datasets.split_dataset_n(list(range(7)), 3)
    assert [p[:] for p in parts] == [[0, 1], [2, 3], [4, 5]]
    parts = datasets.split_dataset_n_random(list(range(7)), 3, seed=0)
    values = [v for p in parts for v in p[:]]
    assert len(set(values)) == 6


def test_cross_validation():
    base = list(range(10))
    splits = datasets.get_cross_validation_datasets(base, 3)
    assert len(splits) == 3
    tests = [sorted(test[:]) for _, test in splits]
    assert sorted(v for t in tests for v in t) == base
    for train, test in splits:
        assert sorted(train[:] + test[:]) == base
    assert sorted(len(t) for t in tests) == [3, 3, 4]
    splits = datasets.get_cross_validation_datasets_random(base, 2, seed=1)
    assert sorted(splits[0][1][:] + splits[1][1][:]) == base
    with pytest.warns(DeprecationWarning):
        assert len(datasets.get_cross_validation_datasets(base, n_fold=2)) == 2


def test_transform_dataset():
    base = datasets.TupleDataset(np.arange(4.0), np.arange(4))

    def shift(example):
        x, t = example
        return x - 0.5, t

    ds = datasets.TransformDataset(base, shift)
    assert len(ds) == 4
    assert ds[1] == (0.5, 1)
    assert [x for x, _ in ds[2:]] == [1.5, 2.5]
    assert base[1][0] == 1.0  # the base data set is unchanged


def test_concatenated_dataset():
    ds = datasets.ConcatenatedDataset([1, 2], [], [3, 4, 5])
    assert len(ds) == 5
    assert ds[:] == [1, 2, 3, 4, 5]
    assert ds[2] == 3 and ds[4] == 5
    for bad in (5, -1):
        with pytest.raises(IndexError):
            ds[bad]
    assert len(datasets.ConcatenatedDataset()) == 0
