"""Links (``import tracegrad.links as L``): layers with parameters, by Chainer's names."""
from tracegrad.links.activation import Maxout, PReLU, Swish
from tracegrad.links.batch_normalization import BatchNormalization
from tracegrad.links.batch_renormalization import BatchRenormalization
from tracegrad.links.bias import Bias, Scale
from tracegrad.links.bilinear import Bilinear
from tracegrad.links.black_out import BlackOut
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
from tracegrad.links.crf1d import CRF1d
from tracegrad.links.decorrelated_batch_normalization import DecorrelatedBatchNormalization
from tracegrad.links.deformable_convolution_2d import DeformableConvolution2D
from tracegrad.links.embed_id import EmbedID
from tracegrad.links.gru import GRU, StatefulGRU, StatelessGRU
from tracegrad.links.hierarchical_softmax import BinaryHierarchicalSoftmax
from tracegrad.links.highway import Highway
from tracegrad.links.inception import Inception, InceptionBN
from tracegrad.links.layer_normalization import (
    GroupNormalization,
    LayerNormalization,
)
from tracegrad.links.linear import Linear
from tracegrad.links.lstm import LSTM, StatelessLSTM
from tracegrad.links.mgu import StatefulMGU, StatelessMGU
from tracegrad.links.mlp_convolution_2d import MLPConvolution2D
from tracegrad.links.model.vision.googlenet import GoogLeNet
from tracegrad.links.model.vision.resnet import (
    ResNet50Layers,
    ResNet101Layers,
    ResNet152Layers,
)
from tracegrad.links.model.vision.vgg import VGG16Layers, VGG19Layers
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
from tracegrad.links.parameter import Parameter
from tracegrad.links.peephole import StatefulPeepholeLSTM
from tracegrad.links.simplified_dropconnect import SimplifiedDropconnect
from tracegrad.links.tree_lstm import ChildSumTreeLSTM, NaryTreeLSTM
from tracegrad.links.zoneout_lstm import StatefulZoneoutLSTM

__all__ = [
    'GRU',
    'LSTM',
    'BatchNormalization',
    'BatchRenormalization',
    'Bias',
    'Bilinear',
    'BinaryHierarchicalSoftmax',
    'BlackOut',
    'CRF1d',
    'ChildSumTreeLSTM',
    'Classifier',
    'Convolution1D',
    'Convolution2D',
    'Convolution3D',
    'ConvolutionND',
    'Deconvolution1D',
    'Deconvolution2D',
    'Deconvolution3D',
    'DeconvolutionND',
    'DecorrelatedBatchNormalization',
    'DeformableConvolution2D',
    'DepthwiseConvolution2D',
    'DilatedConvolution2D',
    'EmbedID',
    'GoogLeNet',
    'GroupNormalization',
    'Highway',
    'Inception',
    'InceptionBN',
    'LayerNormalization',
    'Linear',
    'LocalConvolution2D',
    'MLPConvolution2D',
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
    'Parameter',
    'ResNet50Layers',
    'ResNet101Layers',
    'ResNet152Layers',
    'Scale',
    'SimplifiedDropconnect',
    'StatefulGRU',
    'StatefulMGU',
    'StatefulPeepholeLSTM',
    'StatefulZoneoutLSTM',
    'StatelessGRU',
    'StatelessLSTM',
    'StatelessMGU',
    'Swish',
    'VGG16Layers',
    'VGG19Layers',
]
