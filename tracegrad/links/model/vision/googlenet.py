"""GoogLeNet (Inception-v1; Szegedy et al., 2014) with the layer names of Chainer's model
converted from BVLC's Caffe model, auxiliary classifiers included."""
from __future__ import annotations

from collections import OrderedDict
from typing import ClassVar

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.links.convolution_2d import Convolution2D
from tracegrad.links.inception import Inception
from tracegrad.links.linear import Linear
from tracegrad.links.model.vision._pretrained import (
    PretrainedImageModel,
    prepare_image,
    pretrained_npz_path,
)
from tracegrad.serializers.npz import load_npz

_MEAN_BGR = (104.0, 117.0, 123.0)
_CAFFE_URL = 'http://dl.caffe.berkeleyvision.org/bvlc_googlenet.caffemodel'

# Inception blocks: child name -> (in_channels, out1, proj3, out3, proj5, out5, proj_pool).
_INCEPTIONS = (
    ('inc3a', (192, 64, 96, 128, 16, 32, 32)),
    ('inc3b', (256, 128, 128, 192, 32, 96, 64)),
    ('inc4a', (480, 192, 96, 208, 16, 48, 64)),
    ('inc4b', (512, 160, 112, 224, 24, 64, 64)),
    ('inc4c', (512, 128, 128, 256, 24, 64, 64)),
    ('inc4d', (512, 112, 144, 288, 32, 64, 64)),
    ('inc4e', (528, 256, 160, 320, 32, 128, 128)),
    ('inc5a', (832, 256, 160, 320, 32, 128, 128)),
    ('inc5b', (832, 384, 192, 384, 48, 128, 128)),
)


def _max_pooling_3x3(x):
    return F.max_pooling_2d(x, ksize=3, stride=2)


def _local_response_normalization(x):
    return F.local_response_normalization(x, n=5, k=1, alpha=1e-4 / 5)


def _average_pooling_5x5(x):
    return F.average_pooling_2d(x, ksize=5, stride=3)


def _average_pooling_7x7(x):
    return F.average_pooling_2d(x, ksize=7, stride=1)


def _dropout(x):
    return F.dropout(x, ratio=0.4)


class GoogLeNet(PretrainedImageModel):
    """GoogLeNet, as a feature extractor or classifier, with its two auxiliary
    classifiers (``loss1_fc2`` from ``inception_4a``, ``loss2_fc2`` from
    ``inception_4d``; they are computed only when requested).

    Child links are named as in Chainer (``conv1``, ``conv2_reduce``, ``conv2``,
    ``inc3a`` ... ``inc5b``, ``loss3_fc``, ``loss1_conv``, ``loss1_fc1``,
    ``loss1_fc2``, ``loss2_*``), so the .npz file Chainer converts from BVLC's Caffe
    model loads into it. ``pool5``, ``prob`` and the auxiliary outputs expect
    224x224 inputs.

    Args:
        pretrained_model (str or None): ``'auto'`` loads Chainer's converted weights
            ``bvlc_googlenet.npz`` from ``<tracegrad dataset root>/pfnet/chainer/models``
            (the folder layout of Chainer's dataset root; FileNotFoundError explains
            where to get the file when it is missing); a path loads that .npz file;
            None initialises the weights of the convolutions and fully connected layers
            outside the inception blocks with ``LeCunUniform(scale=1.0)`` (Caffe's
            "xavier" filler) and the inception blocks with their defaults.

    Attributes:
        available_layers (list of str): the layers ``forward`` and ``extract`` return.
    """

    _mean_bgr = _MEAN_BGR
    _extract_layers = ('pool5',)
    _inputs: ClassVar[dict] = {'loss1_fc2': 'inception_4a', 'loss2_fc2': 'inception_4d'}

    def __init__(self, pretrained_model='auto'):
        super().__init__()
        path = pretrained_npz_path(
            'GoogLeNet', pretrained_model, 'bvlc_googlenet.npz',
            f'chainer.links.GoogLeNet() downloads {_CAFFE_URL} and converts it',
            auto=pretrained_model == 'auto')
        # pretrained weights overwrite these: skip sampling them
        initialW = initializers.Zero() if pretrained_model else initializers.LeCunUniform(1.0)
        with self.init_scope():
            self.conv1 = Convolution2D(3, 64, 7, stride=2, pad=3, initialW=initialW)
            self.conv2_reduce = Convolution2D(64, 64, 1, initialW=initialW)
            self.conv2 = Convolution2D(64, 192, 3, stride=1, pad=1, initialW=initialW)
            for name, channels in _INCEPTIONS:
                setattr(self, name, Inception(*channels))
            self.loss3_fc = Linear(1024, 1000, initialW=initialW)
            for aux, in_channels in (('loss1', 512), ('loss2', 528)):
                setattr(self, f'{aux}_conv', Convolution2D(in_channels, 128, 1,
                                                           initialW=initialW))
                setattr(self, f'{aux}_fc1', Linear(2048, 1024, initialW=initialW))
                setattr(self, f'{aux}_fc2', Linear(1024, 1000, initialW=initialW))
        if path:
            load_npz(path, self)

    def _auxiliary_classifier(self, aux: str) -> list:
        return [_average_pooling_5x5, getattr(self, f'{aux}_conv'), F.relu,
                getattr(self, f'{aux}_fc1'), F.relu, getattr(self, f'{aux}_fc2')]

    @property
    def functions(self) -> OrderedDict:
        """Ordered layer name -> the callables computing it from the previous layer
        (``loss1_fc2`` and ``loss2_fc2`` start from ``inception_4a`` and
        ``inception_4d``)."""
        return OrderedDict([
            ('conv1', [self.conv1, F.relu]),
            ('pool1', [_max_pooling_3x3, _local_response_normalization]),
            ('conv2_reduce', [self.conv2_reduce, F.relu]),
            ('conv2', [self.conv2, F.relu, _local_response_normalization]),
            ('pool2', [_max_pooling_3x3]),
            ('inception_3a', [self.inc3a]),
            ('inception_3b', [self.inc3b]),
            ('pool3', [_max_pooling_3x3]),
            ('inception_4a', [self.inc4a]),
            ('inception_4b', [self.inc4b]),
            ('inception_4c', [self.inc4c]),
            ('inception_4d', [self.inc4d]),
            ('inception_4e', [self.inc4e]),
            ('pool4', [_max_pooling_3x3]),
            ('inception_5a', [self.inc5a]),
            ('inception_5b', [self.inc5b]),
            ('pool5', [_average_pooling_7x7]),
            ('loss3_fc', [_dropout, self.loss3_fc]),
            ('prob', [F.softmax]),
            ('loss1_fc2', self._auxiliary_classifier('loss1')),
            ('loss2_fc2', self._auxiliary_classifier('loss2')),
        ])


def prepare(image, size=(224, 224)):
    """Turn an RGB image (PIL image or array) into an input of GoogLeNet: as
    :func:`tracegrad.links.model.vision.vgg.prepare` (resize to PIL's (width, height)
    ``size``, BGR order, channels first), but subtracting BVLC's mean pixel
    (B, G, R) = (104, 117, 123).
    """
    return prepare_image(image, size, _MEAN_BGR)
