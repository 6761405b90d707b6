"""Dataset plumbing (Chainer's ``chainer.dataset``): the iterator base class,
converters that batch examples into arrays, ``DatasetMixin``, and where data sets are kept."""
from tracegrad.dataset.convert import (
    Converter,
    concat_examples,
    converter,
    to_device,
)
from tracegrad.dataset.dataset_mixin import DatasetMixin
from tracegrad.dataset.download import (
    cache_or_load_file,
    cached_download,
    get_dataset_directory,
    get_dataset_root,
    set_dataset_root,
)
from tracegrad.dataset.iterator import Iterator
from tracegrad.dataset.tabular import TabularDataset

__all__ = [
    'Converter', 'DatasetMixin', 'Iterator', 'TabularDataset', 'cache_or_load_file', 'cached_download',
    'concat_examples', 'converter',
    'get_dataset_directory', 'get_dataset_root', 'set_dataset_root', 'to_device',
]
