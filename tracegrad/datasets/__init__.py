"""Data sets (Chainer's ``chainer.datasets``): combinators over data sets, splits, and the
MNIST and scikit-learn digits image sets."""
from tracegrad.datasets.concatenated_dataset import ConcatenatedDataset  # noqa: F401
from tracegrad.datasets.dict_dataset import DictDataset  # noqa: F401
from tracegrad.datasets.digits import get_digits  # noqa: F401
from tracegrad.datasets.mnist import get_mnist  # noqa: F401
from tracegrad.datasets.sub_dataset import (  # noqa: F401
    SubDataset, get_cross_validation_datasets, get_cross_validation_datasets_random,
    split_dataset, split_dataset_n, split_dataset_n_random, split_dataset_random,
)
from tracegrad.datasets.transform_dataset import TransformDataset  # noqa: F401
from tracegrad.datasets.tuple_dataset import TupleDataset  # noqa: F401

__all__ = [
    'ConcatenatedDataset', 'DictDataset', 'SubDataset', 'TransformDataset', 'TupleDataset',
    'get_cross_validation_datasets', 'get_cross_validation_datasets_random', 'get_digits',
    'get_mnist', 'split_dataset', 'split_dataset_n', 'split_dataset_n_random',
    'split_dataset_random',
]
