"""Data sets (Chainer's ``chainer.datasets``): combinators over data sets, splits, and the
MNIST and scikit-learn digits image sets."""
from tracegrad.datasets.concatenated_dataset import ConcatenatedDataset
from tracegrad.datasets.dict_dataset import DictDataset
from tracegrad.datasets.digits import get_digits
from tracegrad.datasets.mnist import get_mnist
from tracegrad.datasets.sub_dataset import (
    SubDataset,
    get_cross_validation_datasets,
    get_cross_validation_datasets_random,
    split_dataset,
    split_dataset_n,
    split_dataset_n_random,
    split_dataset_random,
)
from tracegrad.datasets.transform_dataset import TransformDataset
from tracegrad.datasets.tuple_dataset import TupleDataset

__all__ = [
    'ConcatenatedDataset', 'DictDataset', 'SubDataset', 'TransformDataset', 'TupleDataset',
    'get_cross_validation_datasets', 'get_cross_validation_datasets_random', 'get_digits',
    'get_mnist', 'split_dataset', 'split_dataset_n', 'split_dataset_n_random',
    'split_dataset_random',
]
