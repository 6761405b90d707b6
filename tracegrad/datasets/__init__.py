"""Data sets (Chainer's ``chainer.datasets``): combinators over data sets, splits, data
sets read from files (text, pickles, images), and the standard sets (MNIST, Fashion-MNIST,
Kuzushiji-MNIST, CIFAR-10/100, SVHN, Penn Treebank, scikit-learn's digits)."""
from tracegrad.datasets.cifar import get_cifar10, get_cifar100
from tracegrad.datasets.concatenated_dataset import ConcatenatedDataset
from tracegrad.datasets.dict_dataset import DictDataset
from tracegrad.datasets.digits import get_digits
from tracegrad.datasets.image_dataset import (
    ImageDataset,
    LabeledImageDataset,
    LabeledZippedImageDataset,
    MultiZippedImageDataset,
    ZippedImageDataset,
)
from tracegrad.datasets.mnist import (
    get_fashion_mnist,
    get_fashion_mnist_labels,
    get_kuzushiji_mnist,
    get_kuzushiji_mnist_labels,
    get_mnist,
)
from tracegrad.datasets.pickle_dataset import (
    PickleDataset,
    PickleDatasetWriter,
    open_pickle_dataset,
    open_pickle_dataset_writer,
)
from tracegrad.datasets.ptb import get_ptb_words, get_ptb_words_vocabulary
from tracegrad.datasets.sub_dataset import (
    SubDataset,
    get_cross_validation_datasets,
    get_cross_validation_datasets_random,
    split_dataset,
    split_dataset_n,
    split_dataset_n_random,
    split_dataset_random,
)
from tracegrad.datasets.svhn import get_svhn
from tracegrad.datasets.text_dataset import TextDataset
from tracegrad.datasets.transform_dataset import TransformDataset
from tracegrad.datasets.tuple_dataset import TupleDataset

__all__ = [
    'ConcatenatedDataset', 'DictDataset', 'ImageDataset', 'LabeledImageDataset',
    'LabeledZippedImageDataset', 'MultiZippedImageDataset', 'PickleDataset',
    'PickleDatasetWriter', 'SubDataset', 'TextDataset', 'TransformDataset', 'TupleDataset',
    'ZippedImageDataset', 'get_cifar10', 'get_cifar100', 'get_cross_validation_datasets',
    'get_cross_validation_datasets_random', 'get_digits', 'get_fashion_mnist',
    'get_fashion_mnist_labels', 'get_kuzushiji_mnist', 'get_kuzushiji_mnist_labels',
    'get_mnist', 'get_ptb_words', 'get_ptb_words_vocabulary', 'get_svhn',
    'open_pickle_dataset', 'open_pickle_dataset_writer', 'split_dataset', 'split_dataset_n',
    'split_dataset_n_random', 'split_dataset_random',
]
