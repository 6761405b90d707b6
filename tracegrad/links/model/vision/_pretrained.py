"""What the pretrained image models (VGG, ResNet, GoogLeNet) share: running the network
up to the requested layers, turning images into input arrays, and finding the weights
that Chainer converted from Caffe."""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import ClassVar

import numpy

import tracegrad
from tracegrad import functions as F
from tracegrad.backends import cuda
from tracegrad.dataset.convert import concat_examples
from tracegrad.dataset.download import get_dataset_directory
from tracegrad.link import Chain
from tracegrad.variable import Variable

# Chainer keeps its converted models in <dataset root>/pfnet/chainer/models.
MODELS_FOLDER = 'pfnet/chainer/models'

_REMOVED_ARGUMENTS = ('test', 'train', 'volatile')


def _reject_kwargs(who: str, kwargs: dict) -> None:
    for name in _REMOVED_ARGUMENTS:
        if name in kwargs:
            raise ValueError(f"{who}: the {name} argument is not supported anymore; use "
                             f"tracegrad.using_config('train', ...) / "
                             f"tracegrad.no_backprop_mode() instead")
    if kwargs:
        raise TypeError(f'{who}: unexpected keyword argument(s) {", ".join(sorted(kwargs))}')


def pretrained_npz_path(who: str, pretrained_model, npz_name: str, how_chainer_makes_it: str,
                        auto: bool) -> str | None:
    """The .npz file that ``pretrained_model`` names: None when it is empty, Chainer's
    converted weights ``npz_name`` under tracegrad's dataset root when ``auto``, else
    the given path.

    Raises FileNotFoundError, saying where the file belongs and how Chainer writes it,
    when the converted weights are not there: converting the Caffe model needs Caffe's
    protobuf schema, which tracegrad does not ship.
    """
    if not pretrained_model:
        return None
    if not auto:
        return pretrained_model
    folder = get_dataset_directory(MODELS_FOLDER, create_directory=False)
    path = os.path.join(folder, npz_name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{who}: pretrained_model={pretrained_model!r} needs Chainer's converted weights "
            f'{npz_name}, which are not in {folder}.\n'
            f'Chainer writes that file into $CHAINER_DATASET_ROOT/{MODELS_FOLDER} '
            f'(default ~/.chainer/dataset/{MODELS_FOLDER}) when {how_chainer_makes_it}; '
            f'tracegrad does not read Caffe models. Copy {npz_name} into {folder}, or set '
            f"TRACEGRAD_DATASET_ROOT to Chainer's dataset root, or pass the path of the "
            f'.npz file as pretrained_model.')
    return path


def prepare_image(image, size, mean_bgr) -> numpy.ndarray:
    """Resize an RGB image, reorder it to BGR, subtract ``mean_bgr`` and make it CHW.

    ``image`` is a PIL image or an array shaped (H, W), (H, W, C) or (C, H, W) with C
    1 or 3 and RGB order; arrays are cast to uint8 first. ``size`` is PIL's
    (width, height), or None to keep the size. Returns an array of
    ``tracegrad.get_dtype()`` shaped (3, height, width).
    """
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError('prepare: converting images needs Pillow, which could not be '
                          f'imported ({e}); install it with `pip install Pillow`') from e
    if not isinstance(image, Image.Image):
        array = numpy.asarray(cuda.to_cpu(image))
        if array.ndim == 3 and array.shape[0] == 1:
            array = array[0]
        elif array.ndim == 3 and array.shape[0] == 3:  # channels first, as Chainer reads it
            array = array.transpose(1, 2, 0)
        elif array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
            raise ValueError('prepare: an image array must be shaped (H, W), (H, W, 3) or '
                             f'(3, H, W) (or with 1 channel), got {array.shape}')
        image = Image.fromarray(array.astype(numpy.uint8))
    image = image.convert('RGB')
    if size:
        image = image.resize(tuple(size))
    dtype = tracegrad.get_dtype()
    bgr = numpy.asarray(image, dtype=dtype)[:, :, ::-1]
    return (bgr - numpy.asarray(mean_bgr, dtype=dtype)).transpose(2, 0, 1)


def oversample_crops(images: numpy.ndarray, crop_size) -> numpy.ndarray:
    """Ten crops of each (C, H, W) image: the four corners and the centre, then the
    same five mirrored left to right; returns (10 * N, C, crop_h, crop_w)."""
    _, _, height, width = images.shape
    crop_h, crop_w = crop_size
    top, left = int(height / 2.0 - crop_h / 2.0), int(width / 2.0 - crop_w / 2.0)
    corners = ((0, 0), (0, width - crop_w), (height - crop_h, 0),
               (height - crop_h, width - crop_w), (top, left))
    crops = numpy.stack([images[:, :, y:y + crop_h, x:x + crop_w] for y, x in corners],
                        axis=1)
    crops = numpy.concatenate([crops, crops[..., ::-1]], axis=1)
    return crops.reshape((-1,) + crops.shape[2:])


class PretrainedImageModel(Chain):
    """Base of the image models: ``functions`` lists each named layer with the callables
    that compute it from the previous layer's output (or, for the layers named in
    ``_inputs``, from the output of another layer)."""

    _mean_bgr: ClassVar[tuple] = ()
    _extract_layers: ClassVar[tuple] = ()
    # layer -> the earlier layer whose output feeds it (default: the one listed before it)
    _inputs: ClassVar[dict] = {}

    @property
    def functions(self) -> OrderedDict:
        raise NotImplementedError

    @property
    def available_layers(self) -> list:
        """Names of the layers that ``forward`` and ``extract`` can return, in order."""
        return list(self.functions)

    def _needed_layers(self, layers) -> set:
        if isinstance(layers, str):
            raise TypeError(f'{type(self).__name__}.forward: layers must be a list of layer '
                            f'names, got the string {layers!r}')
        order = list(self.functions)
        unknown = [name for name in layers if name not in order]
        if unknown:
            raise ValueError(f'{type(self).__name__}.forward: unknown layer(s) '
                             f'{", ".join(map(repr, unknown))}; available: {", ".join(order)}')
        previous = {key: self._inputs.get(key, order[i - 1] if i else None)
                    for i, key in enumerate(order)}
        needed, todo = set(), list(layers)
        while todo:
            key = todo.pop()
            if key is not None and key not in needed:
                needed.add(key)
                todo.append(previous[key])
        return needed

    def forward(self, x, layers=None, **kwargs) -> dict:
        """forward(self, x, layers=['prob'])

        Compute the activations of ``layers``; only the layers they depend on are run.

        Args:
            x (~tracegrad.Variable or array): a batch made by ``prepare``.
            layers (list of str): names from ``available_layers``.

        Returns:
            dict: layer name -> Variable.
        """
        _reject_kwargs(f'{type(self).__name__}.forward', kwargs)
        if layers is None:
            layers = ['prob']
        needed = self._needed_layers(layers)
        keep = set(layers) | set(self._inputs.values())
        outputs, h = {}, x
        for key, funcs in self.functions.items():
            if key not in needed:
                continue
            if key in self._inputs:
                h = outputs[self._inputs[key]]
            for func in funcs:
                h = func(h)
            if key in keep:
                outputs[key] = h
        return {key: outputs[key] for key in layers}

    def _images_to_input(self, images, size) -> numpy.ndarray:
        return concat_examples([prepare_image(image, size, self._mean_bgr)
                                for image in images])

    def extract(self, images, layers=None, size=(224, 224), **kwargs) -> dict:
        """extract(self, images, layers=None, size=(224, 224))

        ``prepare`` each image, then ``forward`` the batch. The configuration
        (``train``, ``enable_backprop``) is left as the caller set it.

        Args:
            images (iterable of PIL.Image or numpy.ndarray): RGB images.
            layers (list of str): the layers to return (default: the model's feature
                layer, ``fc7`` for VGG and ``pool5`` for ResNet and GoogLeNet).
            size (pair of ints): PIL's (width, height) to resize to; None keeps the
                images' size (they must then all have the same size).

        Returns:
            dict: layer name -> Variable.
        """
        _reject_kwargs(f'{type(self).__name__}.extract', kwargs)
        if layers is None:
            layers = list(self._extract_layers)
        x = Variable(self.xp.asarray(self._images_to_input(images, size)))
        return self(x, layers=layers)

    def predict(self, images, oversample: bool = True) -> Variable:
        """Class probabilities of RGB images (PIL images or arrays), in test mode
        without a graph: each image is resized to 256x256 and the 224x224 centre crop
        is classified, or (``oversample``) the average over the centre, the four
        corners and their mirror images.

        Returns:
            ~tracegrad.Variable: (len(images), 1000) probabilities.
        """
        batch = self._images_to_input(images, (256, 256))
        batch = oversample_crops(batch, (224, 224)) if oversample else batch[:, :, 16:240, 16:240]
        with tracegrad.no_backprop_mode(), tracegrad.using_config('train', False):
            y = self(Variable(self.xp.asarray(batch)), layers=['prob'])['prob']
            if oversample:
                y = F.average(F.reshape(y, (-1, 10) + y.shape[1:]), axis=1)
        return y

