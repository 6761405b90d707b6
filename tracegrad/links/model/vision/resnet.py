"""ResNet-50, -101 and -152 (He et al., 2015, https://arxiv.org/abs/1512.03385) with the
layer names of Chainer's models converted from MSRA's Caffe models."""
from __future__ import annotations

import warnings
from collections import OrderedDict

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.link import Chain
from tracegrad.links.batch_normalization import BatchNormalization
from tracegrad.links.convolution_2d import Convolution2D
from tracegrad.links.linear import Linear
from tracegrad.links.model.vision._pretrained import (
    PretrainedImageModel,
    prepare_image,
    pretrained_npz_path,
)
from tracegrad.serializers.npz import load_npz

# MSRA's mean pixel (B, G, R), a little different from VGG's.
_MEAN_BGR = (103.063, 115.903, 123.152)

# Bottlenecks per stage (res2 ... res5).
_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def _conv_bn(in_channels, out_channels, ksize, stride, initialW):
    conv = Convolution2D(in_channels, out_channels, ksize, stride, ksize // 2,
                         initialW=initialW, nobias=True)
    return conv, BatchNormalization(out_channels)


class BottleneckA(Chain):
    """Bottleneck that changes the channel count (and the resolution, by ``stride``):
    1x1 -> 3x3 -> 1x1 convolutions, each with batch normalization, added to a 1x1
    projection shortcut (``conv4``/``bn4``), then ReLU.

    Args:
        in_channels (int): input channels.
        mid_channels (int): channels of the 3x3 convolution.
        out_channels (int): output channels.
        stride (int): stride of the block.
        initialW: initializer of the convolution weights.
        downsample_fb (bool): put the stride on the 3x3 convolution (Facebook's
            ResNet) instead of the first 1x1 convolution (MSRA's).
    """

    def __init__(self, in_channels, mid_channels, out_channels, stride=2, initialW=None,
                 downsample_fb=False):
        super().__init__()
        stride_1x1, stride_3x3 = (1, stride) if downsample_fb else (stride, 1)
        with self.init_scope():
            self.conv1, self.bn1 = _conv_bn(in_channels, mid_channels, 1, stride_1x1, initialW)
            self.conv2, self.bn2 = _conv_bn(mid_channels, mid_channels, 3, stride_3x3, initialW)
            self.conv3, self.bn3 = _conv_bn(mid_channels, out_channels, 1, 1, initialW)
            self.conv4, self.bn4 = _conv_bn(in_channels, out_channels, 1, stride, initialW)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + self.bn4(self.conv4(x)))


class BottleneckB(Chain):
    """Bottleneck that keeps the shape: 1x1 -> 3x3 -> 1x1 convolutions with batch
    normalization, added to the input, then ReLU.

    Args:
        in_channels (int): input and output channels.
        mid_channels (int): channels of the 3x3 convolution.
        initialW: initializer of the convolution weights.
    """

    def __init__(self, in_channels, mid_channels, initialW=None):
        super().__init__()
        with self.init_scope():
            self.conv1, self.bn1 = _conv_bn(in_channels, mid_channels, 1, 1, initialW)
            self.conv2, self.bn2 = _conv_bn(mid_channels, mid_channels, 3, 1, initialW)
            self.conv3, self.bn3 = _conv_bn(mid_channels, in_channels, 1, 1, initialW)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + x)


class BuildingBlock(Chain):
    """A ResNet stage: one :class:`BottleneckA` (child ``a``) then ``n_layers - 1``
    :class:`BottleneckB` (children ``b1``, ``b2``, ...).

    Args:
        n_layers (int): number of bottlenecks (``n_layer`` is its deprecated name).
        in_channels (int): input channels.
        mid_channels (int): channels inside the bottlenecks.
        out_channels (int): output channels.
        stride (int): stride of the first bottleneck.
        initialW: initializer of the convolution weights.
        downsample_fb (bool): see :class:`BottleneckA`.
    """

    def __init__(self, n_layers=None, in_channels=None, mid_channels=None, out_channels=None,
                 stride=None, initialW=None, downsample_fb=None, **kwargs):
        super().__init__()
        if 'n_layer' in kwargs:
            warnings.warn('BuildingBlock: the n_layer argument is deprecated; use n_layers',
                          DeprecationWarning, stacklevel=2)
            n_layers = kwargs.pop('n_layer')
        if kwargs:
            raise TypeError('BuildingBlock: unexpected keyword argument(s) '
                            f'{", ".join(sorted(kwargs))}')
        with self.init_scope():
            self.a = BottleneckA(in_channels, mid_channels, out_channels, stride, initialW,
                                 downsample_fb)
            self._forward = ['a']
            for i in range(1, n_layers):
                setattr(self, f'b{i}', BottleneckB(out_channels, mid_channels, initialW))
                self._forward.append(f'b{i}')

    def forward(self, x):
        for name in self._forward:
            x = getattr(self, name)(x)
        return x


def _max_pooling_3x3(x):
    return F.max_pooling_2d(x, ksize=3, stride=2)


def _global_average_pooling_2d(x):
    return F.mean(x, axis=(2, 3))


class ResNetLayers(PretrainedImageModel):
    """Residual network of 50, 101 or 152 layers, as a feature extractor or classifier.

    Child links are named as in Chainer (``conv1``, ``bn1``, ``res2`` ... ``res5``
    with bottlenecks ``a``, ``b1``, ``b2``..., ``fc6``), so the .npz files Chainer
    converts from MSRA's Caffe models load into it. Any input of at least 32x32 works
    (the last stage is averaged globally).

    Args:
        pretrained_model (str or None): ``'auto'`` (or the name of a
            ``.caffemodel``, as Chainer accepts) loads Chainer's converted weights
            ``ResNet-{n_layers}-model.npz`` from
            ``<tracegrad dataset root>/pfnet/chainer/models`` (the folder layout of
            Chainer's dataset root; FileNotFoundError explains where to get the file when
            it is missing); a path loads that .npz file; None initialises the
            convolutions with ``HeNormal(scale=1.0)``, as in the paper.
        n_layers (int): 50, 101 or 152.
        downsample_fb (bool): put the strides on the 3x3 convolutions (Facebook's
            ResNet) instead of the first 1x1 convolutions (MSRA's, the pretrained one).

    Attributes:
        available_layers (list of str): the layers ``forward`` and ``extract`` return.
    """

    _mean_bgr = _MEAN_BGR
    _extract_layers = ('pool5',)

    def __init__(self, pretrained_model, n_layers, downsample_fb=False):
        super().__init__()
        if n_layers not in _BLOCKS:
            raise ValueError(f'{type(self).__name__}: n_layers must be 50, 101 or 152, '
                             f'got {n_layers!r}')
        auto = pretrained_model == 'auto' or str(pretrained_model).endswith('.caffemodel')
        path = pretrained_npz_path(
            type(self).__name__, pretrained_model, f'ResNet-{n_layers}-model.npz',
            f'chainer.links.ResNet{n_layers}Layers() finds ResNet-{n_layers}-model.caffemodel '
            '(from https://github.com/KaimingHe/deep-residual-networks) in that folder and '
            'converts it', auto=auto)
        # pretrained weights overwrite the convolutions: skip sampling them
        initialW = initializers.Zero() if pretrained_model else initializers.HeNormal(scale=1.0)
        blocks = _BLOCKS[n_layers]
        with self.init_scope():
            self.conv1 = Convolution2D(3, 64, 7, 2, 3, initialW=initialW)
            self.bn1 = BatchNormalization(64)
            self.res2 = BuildingBlock(blocks[0], 64, 64, 256, 1, initialW, downsample_fb)
            self.res3 = BuildingBlock(blocks[1], 256, 128, 512, 2, initialW, downsample_fb)
            self.res4 = BuildingBlock(blocks[2], 512, 256, 1024, 2, initialW, downsample_fb)
            self.res5 = BuildingBlock(blocks[3], 1024, 512, 2048, 2, initialW, downsample_fb)
            self.fc6 = Linear(2048, 1000)
        if path:
            load_npz(path, self)

    @property
    def functions(self) -> OrderedDict:
        """Ordered layer name -> the callables computing it from the previous layer."""
        return OrderedDict([
            ('conv1', [self.conv1, self.bn1, F.relu]),
            ('pool1', [_max_pooling_3x3]),
            ('res2', [self.res2]),
            ('res3', [self.res3]),
            ('res4', [self.res4]),
            ('res5', [self.res5]),
            ('pool5', [_global_average_pooling_2d]),
            ('fc6', [self.fc6]),
            ('prob', [F.softmax]),
        ])


class ResNet50Layers(ResNetLayers):
    """ResNet with 50 layers (25,557,096 parameters); see :class:`ResNetLayers`.

    Args:
        pretrained_model (str or None): ``'auto'`` (Chainer's ``ResNet-50-model.npz``),
            a path to an .npz file, or None (random).
        downsample_fb (bool): Facebook's placement of the strides.
    """

    def __init__(self, pretrained_model='auto', downsample_fb=False):
        super().__init__(pretrained_model, 50, downsample_fb)


class ResNet101Layers(ResNetLayers):
    """ResNet with 101 layers; see :class:`ResNetLayers`.

    Args:
        pretrained_model (str or None): ``'auto'`` (Chainer's ``ResNet-101-model.npz``),
            a path to an .npz file, or None (random).
        downsample_fb (bool): Facebook's placement of the strides.
    """

    def __init__(self, pretrained_model='auto', downsample_fb=False):
        super().__init__(pretrained_model, 101, downsample_fb)


class ResNet152Layers(ResNetLayers):
    """ResNet with 152 layers (60,192,872 parameters); see :class:`ResNetLayers`.

    Args:
        pretrained_model (str or None): ``'auto'`` (Chainer's ``ResNet-152-model.npz``),
            a path to an .npz file, or None (random).
        downsample_fb (bool): Facebook's placement of the strides.
    """

    def __init__(self, pretrained_model='auto', downsample_fb=False):
        super().__init__(pretrained_model, 152, downsample_fb)


def prepare(image, size=(224, 224)):
    """Turn an RGB image (PIL image or array) into an input of the ResNet models: as
    :func:`tracegrad.links.model.vision.vgg.prepare` (resize to PIL's (width, height)
    ``size``, BGR order, channels first), but subtracting MSRA's mean pixel
    (B, G, R) = (103.063, 115.903, 123.152).
    """
    return prepare_image(image, size, _MEAN_BGR)
