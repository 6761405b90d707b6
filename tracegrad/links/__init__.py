"""Links (``import tracegrad.links as L``): layers with parameters, by Chainer's names."""
from tracegrad.links.activation import Maxout, PReLU
from tracegrad.links.batch_normalization import BatchNormalization
from tracegrad.links.bias import Bias, Scale
from tracegrad.links.bilinear import Bilinear
from tracegrad.links.classifier import Classifier
from tracegrad.links.convolution_2d import (
    Convolution2D,
    Deconvolution2D,
    DepthwiseConvolution2D,
    DilatedConvolution2D,
    LocalConvolution2D,
)
from tracegrad.links.convolution_nd import (
    Convolution1D,
    Convolution3D,
    ConvolutionND,
    Deconvolution1D,
    Deconvolution3D,
    DeconvolutionND,
)
from tracegrad.links.embed_id import EmbedID
from tracegrad.links.gru import GRU, StatefulGRU, StatelessGRU
from tracegrad.links.highway import Highway
from tracegrad.links.inception import Inception, InceptionBN
from tracegrad.links.layer_normalization import (
    GroupNormalization,
    LayerNormalization,
)
from tracegrad.links.linear import Linear
from tracegrad.links.lstm import LSTM, StatelessLSTM
from tracegrad.links.mlp_convolution_2d import MLPConvolution2D

__all__ = [
    'GRU',
    'LSTM',
    'BatchNormalization',
    'Bias',
    'Bilinear',
    'Classifier',
    'Convolution1D',
    'Convolution2D',
    'Convolution3D',
    'ConvolutionND',
    'Deconvolution1D',
    'Deconvolution2D',
    'Deconvolution3D',
    'DeconvolutionND',
    'DepthwiseConvolution2D',
    'DilatedConvolution2D',
    'EmbedID',
    'GroupNormalization',
    'Highway',
    'Inception',
    'InceptionBN',
    'LayerNormalization',
    'Linear',
    'LocalConvolution2D',
    'MLPConvolution2D',
    'Maxout',
    'PReLU',
    'Scale',
    'StatefulGRU',
    'StatelessGRU',
    'StatelessLSTM',
]
