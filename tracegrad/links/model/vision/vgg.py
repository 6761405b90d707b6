"""VGG16 and VGG19 (Simonyan and Zisserman, 2014, https://arxiv.org/abs/1409.1556)
with the layer names of Chainer's converted Caffe models."""
from __future__ import annotations

from collections import OrderedDict

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.links.convolution_2d import Convolution2D
from tracegrad.links.linear import Linear
from tracegrad.links.model.vision._pretrained import (
    PretrainedImageModel,
    prepare_image,
    pretrained_npz_path,
)
from tracegrad.serializers.npz import load_npz

_MEAN_BGR = (103.939, 116.779, 123.68)

# Convolutions per block (all 3x3, padding 1); each block ends with 2x2 max pooling.
_BLOCKS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
_CHANNELS = (64, 128, 256, 512, 512)
_CAFFE_URLS = {
    16: 'https://www.robots.ox.ac.uk/~vgg/software/very_deep/caffe/VGG_ILSVRC_16_layers.caffemodel',
    19: 'http://www.robots.ox.ac.uk/~vgg/software/very_deep/caffe/VGG_ILSVRC_19_layers.caffemodel',
}


def _max_pooling_2x2(x):
    return F.max_pooling_2d(x, ksize=2)


class VGGLayers(PretrainedImageModel):
    """VGG network of 16 or 19 layers, as a feature extractor or classifier.

    Child links are named as in Chainer (``conv1_1`` ... ``conv5_3``/``conv5_4``,
    ``fc6``, ``fc7``, ``fc8``), so the .npz files Chainer converts from the VGG team's
    Caffe models load into it. The fully connected layers expect 224x224 inputs; the
    convolutional layers (up to ``pool5``) take any size of at least 32x32.

    Args:
        pretrained_model (str or None): ``'auto'`` loads Chainer's converted weights
            ``VGG_ILSVRC_{16,19}_layers.npz`` from
            ``<tracegrad dataset root>/pfnet/chainer/models`` (the folder layout of
            Chainer's dataset root; FileNotFoundError explains where to get the file when
            it is missing); a path loads that .npz file; None initialises the weights
            with ``Normal(0.01)`` and the biases with zeros, as in the paper.
        n_layers (int): 16 or 19.

    Attributes:
        available_layers (list of str): the layers ``forward`` and ``extract`` return.
    """

    _mean_bgr = _MEAN_BGR
    _extract_layers = ('fc7',)

    def __init__(self, pretrained_model='auto', n_layers=16):
        super().__init__()
        if n_layers not in _BLOCKS:
            raise ValueError(f'{type(self).__name__}: n_layers must be 16 or 19, '
                             f'got {n_layers!r}')
        name = f'VGG_ILSVRC_{n_layers}_layers'
        path = pretrained_npz_path(
            type(self).__name__, pretrained_model, f'{name}.npz',
            f'chainer.links.VGG{n_layers}Layers() downloads {_CAFFE_URLS[n_layers]} and '
            'converts it', auto=pretrained_model == 'auto')
        if pretrained_model:  # the weights are overwritten: skip sampling them
            init = {'initialW': initializers.Zero(), 'initial_bias': initializers.Zero()}
        else:
            init = {'initialW': initializers.Normal(0.01), 'initial_bias': initializers.Zero()}
        self._layer_names = []
        in_channels = 3
        with self.init_scope():
            for block, (depth, channels) in enumerate(zip(_BLOCKS[n_layers], _CHANNELS), 1):
                for i in range(1, depth + 1):
                    setattr(self, f'conv{block}_{i}',
                            Convolution2D(in_channels, channels, 3, 1, 1, **init))
                    self._layer_names.append(f'conv{block}_{i}')
                    in_channels = channels
                self._layer_names.append(f'pool{block}')
            self.fc6 = Linear(512 * 7 * 7, 4096, **init)
            self.fc7 = Linear(4096, 4096, **init)
            self.fc8 = Linear(4096, 1000, **init)
        if path:
            load_npz(path, self)

    @property
    def functions(self) -> OrderedDict:
        """Ordered layer name -> the callables computing it from the previous layer."""
        layers = OrderedDict()
        for name in self._layer_names:
            if name.startswith('pool'):
                layers[name] = [_max_pooling_2x2]
            else:
                layers[name] = [getattr(self, name), F.relu]
        layers['fc6'] = [self.fc6, F.relu, F.dropout]
        layers['fc7'] = [self.fc7, F.relu, F.dropout]
        layers['fc8'] = [self.fc8]
        layers['prob'] = [F.softmax]
        return layers


class VGG16Layers(VGGLayers):
    """VGG with 16 layers (13 convolutions, 3 fully connected); see :class:`VGGLayers`.

    Args:
        pretrained_model (str or None): ``'auto'`` (Chainer's
            ``VGG_ILSVRC_16_layers.npz``), a path to an .npz file, or None (random).
    """

    def __init__(self, pretrained_model='auto'):
        super().__init__(pretrained_model, 16)


class VGG19Layers(VGGLayers):
    """VGG with 19 layers (16 convolutions, 3 fully connected); see :class:`VGGLayers`.

    Args:
        pretrained_model (str or None): ``'auto'`` (Chainer's
            ``VGG_ILSVRC_19_layers.npz``), a path to an .npz file, or None (random).
    """

    def __init__(self, pretrained_model='auto'):
        super().__init__(pretrained_model, 19)


def prepare(image, size=(224, 224)):
    """Turn an RGB image into an input of the VGG models.

    Resizes to ``size`` (PIL's (width, height); None keeps the size), reorders the
    channels to BGR, subtracts the VGG mean pixel (B, G, R) = (103.939, 116.779,
    123.68) and moves the channels first. Needs Pillow.

    Args:
        image (PIL.Image or numpy.ndarray): RGB image; an array is (H, W),
            (H, W, 3) or (3, H, W).
        size (pair of ints or None): output (width, height).

    Returns:
        numpy.ndarray: (3, height, width) array of ``tracegrad.get_dtype()``.
    """
    return prepare_image(image, size, _MEAN_BGR)

