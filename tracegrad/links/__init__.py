"""Links (``import tracegrad.links as L``): layers with parameters, by Chainer's names."""
from tracegrad.links.linear import Linear  # noqa: F401
from tracegrad.links.convolution_2d import Convolution2D, Deconvolution2D  # noqa: F401
from tracegrad.links.embed_id import EmbedID  # noqa: F401
from tracegrad.links.batch_normalization import BatchNormalization  # noqa: F401
from tracegrad.links.layer_normalization import (  # noqa: F401
    LayerNormalization, GroupNormalization,
)
from tracegrad.links.bias import Bias, Scale  # noqa: F401
from tracegrad.links.activation import PReLU, Maxout  # noqa: F401
from tracegrad.links.highway import Highway  # noqa: F401
from tracegrad.links.lstm import LSTM, StatelessLSTM  # noqa: F401
from tracegrad.links.gru import GRU, StatefulGRU, StatelessGRU  # noqa: F401
from tracegrad.links.classifier import Classifier  # noqa: F401

__all__ = ['Linear', 'Convolution2D', 'Deconvolution2D', 'EmbedID', 'BatchNormalization',
           'LayerNormalization', 'GroupNormalization', 'Bias', 'Scale', 'PReLU', 'Maxout',
           'Highway', 'LSTM', 'StatelessLSTM', 'GRU', 'StatefulGRU', 'StatelessGRU',
           'Classifier']
