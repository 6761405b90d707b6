"""get_digits: scikit-learn's 8x8 digits in MNIST's format."""
import sys

import numpy as np
import pytest

from tracegrad import datasets

sklearn_datasets = pytest.importorskip('sklearn.datasets', reason='needs scikit-learn')


def test_default_split_and_format():
    train, test = datasets.get_digits()
    assert len(train) == 1437 and len(test) == 360
    x, t = train[0]
    assert x.shape == (64,) and x.dtype == np.float32 and t.dtype == np.int32
    images = np.stack([x for x, _ in train[:]])
    assert images.min() == 0 and images.max() == 1
    labels = np.array([t for _, t in test[:]])
    assert set(labels) == set(range(10))


def test_examples_are_sklearns_with_a_fixed_permutation():
    digits = sklearn_datasets.load_digits()
    order = np.random.RandomState(0).permutation(len(digits.images))
    train, test = datasets.get_digits(scale=16.)
    np.testing.assert_array_equal(train[5][0], digits.images[order[5]].ravel())
    assert train[5][1] == digits.target[order[5]]
    np.testing.assert_array_equal(test[0][0], digits.images[order[1437]].ravel())
    again, _ = datasets.get_digits(scale=16.)
    np.testing.assert_array_equal(again[7][0], train[7][0])
    assert sorted(order[:1437].tolist() + order[1437:].tolist()) == list(range(1797))


def test_options():
    train, _ = datasets.get_digits(withlabel=False, ndim=2, scale=2., dtype=np.float64)
    assert train.shape == (1437, 8, 8) and train.dtype == np.float64 and train.max() == 2
    train, _ = datasets.get_digits(ndim=3, label_dtype=np.int64)
    assert train[0][0].shape == (1, 8, 8) and train[0][1].dtype == np.int64
    train, _ = datasets.get_digits(ndim=3, rgb_format=True, withlabel=False)
    assert train.shape == (1437, 3, 8, 8)
    with pytest.raises(ValueError, match='invalid ndim'):
        datasets.get_digits(ndim=0)


def test_split_argument():
    train, test = datasets.get_digits(split=0.5)
    assert (len(train), len(test)) == (898, 899)
    train, test = datasets.get_digits(split=1000)
    assert (len(train), len(test)) == (1000, 797)
    with pytest.raises(ValueError, match='split'):
        datasets.get_digits(split=1.5)
    with pytest.raises(ValueError, match='split'):
        datasets.get_digits(split=2000)
    with pytest.raises(TypeError, match='split'):
        datasets.get_digits(split='half')


def test_missing_scikit_learn_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, 'sklearn.datasets', None)
    with pytest.raises(ImportError, match=r'pip install "tracegrad\[examples\]"'):
        datasets.get_digits()
