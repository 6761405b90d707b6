"""Links (``import tracegrad.links as L``): layers with parameters, by Chainer's names."""
from tracegrad.links.activation import Maxout, PReLU, Swish
from tracegrad.links.batch_normalization import BatchNormalization
from tracegrad.links.batch_renormalization import BatchRenormalization
from tracegrad.links.bias import Bias, Scale
from tracegrad.links.classifier import Classifier
from tracegrad.links.convolution_2d import Convolution2D, Deconvolution2D
from tracegrad.links.decorrelated_batch_normalization import DecorrelatedBatchNormalization
from tracegrad.links.embed_id import EmbedID
from tracegrad.links.gru import GRU, StatefulGRU, StatelessGRU
from tracegrad.links.highway import Highway
from tracegrad.links.layer_normalization import (
    GroupNormalization,
    LayerNormalization,
)
from tracegrad.links.linear import Linear
from tracegrad.links.lstm import LSTM, StatelessLSTM
from tracegrad.links.parameter import Parameter
from tracegrad.links.simplified_dropconnect import SimplifiedDropconnect
from tracegrad.links.zoneout_lstm import StatefulZoneoutLSTM

__all__ = [
    'GRU',
    'LSTM',
    'BatchNormalization',
    'BatchRenormalization',
    'Bias',
    'Classifier',
    'Convolution2D',
    'Deconvolution2D',
    'DecorrelatedBatchNormalization',
    'EmbedID',
    'GroupNormalization',
    'Highway',
    'LayerNormalization',
    'Linear',
    'Maxout',
    'PReLU',
    'Parameter',
    'Scale',
    'SimplifiedDropconnect',
    'StatefulGRU',
    'StatefulZoneoutLSTM',
    'StatelessGRU',
    'StatelessLSTM',
    'Swish',
]
