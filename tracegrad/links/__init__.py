"""Links (``import tracegrad.links as L``): layers with parameters, by Chainer's names."""
from tracegrad.links.activation import Maxout, PReLU
from tracegrad.links.batch_normalization import BatchNormalization
from tracegrad.links.bias import Bias, Scale
from tracegrad.links.black_out import BlackOut
from tracegrad.links.classifier import Classifier
from tracegrad.links.convolution_2d import Convolution2D, Deconvolution2D
from tracegrad.links.crf1d import CRF1d
from tracegrad.links.embed_id import EmbedID
from tracegrad.links.gru import GRU, StatefulGRU, StatelessGRU
from tracegrad.links.hierarchical_softmax import BinaryHierarchicalSoftmax
from tracegrad.links.highway import Highway
from tracegrad.links.layer_normalization import (
    GroupNormalization,
    LayerNormalization,
)
from tracegrad.links.linear import Linear
from tracegrad.links.lstm import LSTM, StatelessLSTM
from tracegrad.links.mgu import StatefulMGU, StatelessMGU
from tracegrad.links.n_step_rnn import (
    NStepBiGRU,
    NStepBiLSTM,
    NStepBiRNNReLU,
    NStepBiRNNTanh,
    NStepGRU,
    NStepLSTM,
    NStepRNNReLU,
    NStepRNNTanh,
)
from tracegrad.links.negative_sampling import NegativeSampling
from tracegrad.links.peephole import StatefulPeepholeLSTM
from tracegrad.links.tree_lstm import ChildSumTreeLSTM, NaryTreeLSTM

__all__ = [
    'GRU',
    'LSTM',
    'BatchNormalization',
    'Bias',
    'BinaryHierarchicalSoftmax',
    'BlackOut',
    'CRF1d',
    'ChildSumTreeLSTM',
    'Classifier',
    'Convolution2D',
    'Deconvolution2D',
    'EmbedID',
    'GroupNormalization',
    'Highway',
    'LayerNormalization',
    'Linear',
    'Maxout',
    'NStepBiGRU',
    'NStepBiLSTM',
    'NStepBiRNNReLU',
    'NStepBiRNNTanh',
    'NStepGRU',
    'NStepLSTM',
    'NStepRNNReLU',
    'NStepRNNTanh',
    'NaryTreeLSTM',
    'NegativeSampling',
    'PReLU',
    'Scale',
    'StatefulGRU',
    'StatefulMGU',
    'StatefulPeepholeLSTM',
    'StatelessGRU',
    'StatelessLSTM',
    'StatelessMGU',
]
