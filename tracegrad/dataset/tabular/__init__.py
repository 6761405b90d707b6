"""Tabular data sets (Chainer's ``chainer.dataset.tabular``): tables of named columns
with views over rows and columns (see :class:`TabularDataset`)."""
from tracegrad.dataset.tabular.delegate_dataset import DelegateDataset
from tracegrad.dataset.tabular.from_data import from_data
from tracegrad.dataset.tabular.tabular_dataset import TabularDataset

__all__ = ['DelegateDataset', 'TabularDataset', 'from_data']
