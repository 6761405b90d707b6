"""VGG16/19, ResNet50/101/152 and GoogLeNet (tracegrad.links.model.vision): Chainer's
architectures and parameter names, layer selection, weights files, image preparation."""
import os
import sys

import numpy as np
import pytest

import tracegrad
import tracegrad.links as L
from tracegrad import functions as F
from tracegrad import serializers
from tracegrad.dataset import download
from tracegrad.links.model.vision import googlenet, resnet, vgg
from tracegrad.links.model.vision._pretrained import PretrainedImageModel
from tracegrad.serializers.npz import serialize

Image = pytest.importorskip('PIL.Image')


def _keys(model):
    return set(serialize(model))


def _n_params(model):
    return sum(p.size for p in model.params())


def _test_mode():
    return tracegrad.using_config('train', False)


def _rgb_image(height, width, seed=0):
    pixels = np.random.RandomState(seed).randint(0, 256, (height, width, 3)).astype(np.uint8)
    return Image.fromarray(pixels)


@pytest.fixture
def no_sampling(monkeypatch):
    """Zero instead of random weights for the structure-only checks of the biggest
    models (sampling 60M-140M numbers takes seconds)."""
    from tracegrad import initializers

    for name in ('Normal', 'HeNormal'):
        monkeypatch.setattr(initializers, name, lambda *args, **kwargs: initializers.Zero())


@pytest.fixture(scope='module')
def resnet50():
    np.random.seed(0)
    return L.ResNet50Layers(pretrained_model=None)


@pytest.fixture(scope='module')
def googlenet_model():
    np.random.seed(1)
    return L.GoogLeNet(pretrained_model=None)


@pytest.fixture(scope='module')
def vgg16():
    np.random.seed(2)
    return L.VGG16Layers(pretrained_model=None)


# ----------------------------------------------------------------------- module layout

def test_chainer_module_layout():
    assert L.VGG16Layers is vgg.VGG16Layers and L.VGG19Layers is vgg.VGG19Layers
    assert L.ResNet50Layers is resnet.ResNet50Layers
    assert L.ResNet101Layers is resnet.ResNet101Layers
    assert L.ResNet152Layers is resnet.ResNet152Layers
    assert L.GoogLeNet is googlenet.GoogLeNet
    assert issubclass(L.VGG16Layers, vgg.VGGLayers)
    assert issubclass(L.ResNet50Layers, resnet.ResNetLayers)
    assert tracegrad.links.model.vision.resnet.prepare is resnet.prepare
    assert all(hasattr(resnet, n) for n in ('BuildingBlock', 'BottleneckA', 'BottleneckB'))


# --------------------------------------------------------------------------------- VGG

def test_vgg16_parameters(vgg16):
    keys = _keys(vgg16)
    assert {'conv1_1/W', 'conv1_1/b', 'conv3_3/W', 'conv5_3/b', 'fc6/W', 'fc7/b',
            'fc8/W', 'fc8/b'} <= keys
    assert len(keys) == 2 * 16 and 'conv3_4/W' not in keys
    assert vgg16.fc6.W.shape == (4096, 512 * 7 * 7)
    assert vgg16.conv4_1.W.shape == (512, 256, 3, 3)
    assert _n_params(vgg16) == 138357544
    # pretrained_model=None: Normal(0.01) weights and zero biases, as in the paper
    assert abs(float(vgg16.conv2_1.W.array.std()) - 0.01) < 5e-4
    assert not vgg16.fc7.b.array.any()


def test_vgg16_layers(vgg16):
    assert vgg16.available_layers == [
        'conv1_1', 'conv1_2', 'pool1', 'conv2_1', 'conv2_2', 'pool2',
        'conv3_1', 'conv3_2', 'conv3_3', 'pool3', 'conv4_1', 'conv4_2', 'conv4_3', 'pool4',
        'conv5_1', 'conv5_2', 'conv5_3', 'pool5', 'fc6', 'fc7', 'fc8', 'prob']
    x = np.random.uniform(-100, 100, (1, 3, 64, 64)).astype(np.float32)
    with _test_mode():
        out = vgg16(x, layers=['conv1_2', 'pool3', 'pool5'])
    assert {k: v.shape for k, v in out.items()} == {
        'conv1_2': (1, 64, 64, 64), 'pool3': (1, 256, 8, 8), 'pool5': (1, 512, 2, 2)}
    expected = F.max_pooling_2d(F.relu(vgg16.conv1_2(F.relu(vgg16.conv1_1(x)))), 2)
    with _test_mode():
        pool1 = vgg16.forward(x, layers=['pool1'])['pool1']
    np.testing.assert_allclose(pool1.array, expected.array, rtol=1e-5)


def test_vgg16_extract_fully_connected_layers(vgg16):
    # extract: prepare (224x224 by default) then forward; fc7 is its default layer
    with _test_mode():
        out = vgg16.extract([_rgb_image(30, 40)], layers=['fc7', 'fc8', 'prob'])
        default = vgg16.extract([np.zeros((3, 16, 16), np.uint8)], size=(32, 32),
                                layers=['pool5'])
    assert {k: v.shape for k, v in out.items()} == {
        'fc7': (1, 4096), 'fc8': (1, 1000), 'prob': (1, 1000)}
    np.testing.assert_allclose(out['prob'].array.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(out['prob'].array, F.softmax(out['fc8']).array, rtol=1e-5)
    assert default['pool5'].shape == (1, 512, 1, 1)


def test_vgg19_parameters_and_forward(no_sampling):
    model = L.VGG19Layers(pretrained_model=None)
    keys = _keys(model)
    assert {'conv3_4/W', 'conv4_4/b', 'conv5_4/W', 'fc6/W'} <= keys and len(keys) == 2 * 19
    assert _n_params(model) == 143667240
    assert model.available_layers.index('conv3_4') == model.available_layers.index('pool3') - 1
    with _test_mode():
        out = model(np.ones((1, 3, 32, 32), np.float32), layers=['conv5_4', 'pool5'])
    assert out['conv5_4'].shape == (1, 512, 2, 2) and out['pool5'].shape == (1, 512, 1, 1)


def test_vgg_rejects_other_depths():
    with pytest.raises(ValueError, match='VGGLayers: n_layers must be 16 or 19, got 11'):
        vgg.VGGLayers(pretrained_model=None, n_layers=11)


# ------------------------------------------------------------------------------ ResNet

def _resnet_expected_keys(blocks):
    """Chainer's npz keys of a ResNet, from the architecture alone."""
    bn = ('gamma', 'beta', 'avg_mean', 'avg_var', 'N')
    keys = {'conv1/W', 'conv1/b', 'fc6/W', 'fc6/b'} | {f'bn1/{k}' for k in bn}
    for stage, n in zip((2, 3, 4, 5), blocks):
        for block in ['a'] + [f'b{i}' for i in range(1, n)]:
            for j in range(1, 5 if block == 'a' else 4):
                prefix = f'res{stage}/{block}'
                keys.add(f'{prefix}/conv{j}/W')
                keys |= {f'{prefix}/bn{j}/{k}' for k in bn}
    return keys


def test_resnet50_parameters(resnet50):
    keys = _keys(resnet50)
    assert keys == _resnet_expected_keys((3, 4, 6, 3))
    assert {'res2/a/conv4/W', 'res4/b5/bn3/avg_var', 'res5/b2/conv3/W'} <= keys
    assert 'res2/a/conv1/b' not in keys  # bottleneck convolutions have no bias
    assert _n_params(resnet50) == 25557096
    assert resnet50.res5.a.conv4.W.shape == (2048, 1024, 1, 1)
    # pretrained_model=None: HeNormal(scale=1) convolutions
    w = resnet50.res4.b1.conv2.W.array
    assert abs(float(w.std()) - np.sqrt(2 / (256 * 9))) < 2e-3
    # MSRA's ResNet strides the first 1x1 convolution
    assert resnet50.res3.a.conv1.stride == (2, 2) and resnet50.res3.a.conv2.stride == (1, 1)


def test_resnet_downsample_fb():
    model = resnet.BottleneckA(8, 4, 16, stride=2, downsample_fb=True)
    assert model.conv1.stride == (1, 1) and model.conv2.stride == (2, 2)
    assert model.conv4.stride == (2, 2)
    y = model(np.ones((1, 8, 7, 7), np.float32))
    assert y.shape == (1, 16, 4, 4)


@pytest.mark.parametrize('cls, blocks, n_params', [
    (L.ResNet101Layers, (3, 4, 23, 3), 44549224),
    (L.ResNet152Layers, (3, 8, 36, 3), 60192872),
])
def test_deep_resnet_structure(cls, blocks, n_params, no_sampling):
    model = cls(pretrained_model=None)
    assert _keys(model) == _resnet_expected_keys(blocks)
    assert _n_params(model) == n_params
    assert model.available_layers == ['conv1', 'pool1', 'res2', 'res3', 'res4', 'res5',
                                      'pool5', 'fc6', 'prob']


def test_resnet50_layers(resnet50):
    x = np.random.uniform(-100, 100, (2, 3, 40, 40)).astype(np.float32)
    with _test_mode():
        out = resnet50(x, layers=resnet50.available_layers)
    assert {k: v.shape for k, v in out.items()} == {
        'conv1': (2, 64, 20, 20), 'pool1': (2, 64, 10, 10), 'res2': (2, 256, 10, 10),
        'res3': (2, 512, 5, 5), 'res4': (2, 1024, 3, 3), 'res5': (2, 2048, 2, 2),
        'pool5': (2, 2048), 'fc6': (2, 1000), 'prob': (2, 1000)}
    np.testing.assert_allclose(out['pool5'].array, out['res5'].array.mean(axis=(2, 3)),
                               rtol=1e-5)
    np.testing.assert_allclose(out['prob'].array.sum(axis=1), 1, rtol=1e-5)
    with _test_mode():
        assert list(resnet50(x[:1])) == ['prob']  # default layers
        res3 = resnet50(x[:1], layers=['res3'])['res3']
    np.testing.assert_allclose(res3.array, out['res3'].array[:1], rtol=1e-4, atol=1e-5)


def test_forward_runs_only_the_needed_layers(resnet50, monkeypatch):
    def refuse(x):
        raise AssertionError('res3 was computed')

    monkeypatch.setattr(resnet50.res3, 'forward', refuse)
    with _test_mode():
        out = resnet50(np.zeros((1, 3, 32, 32), np.float32), layers=['res2', 'conv1'])
    assert list(out) == ['res2', 'conv1'] and out['res2'].shape == (1, 256, 8, 8)


def test_forward_argument_errors(resnet50):
    x = np.zeros((1, 3, 32, 32), np.float32)
    with pytest.raises(ValueError, match="ResNet50Layers.forward: unknown layer.*'fc7'.*pool5"):
        resnet50(x, layers=['fc7'])
    with pytest.raises(ValueError, match='test argument is not supported anymore'):
        resnet50(x, layers=['conv1'], test=True)
    with pytest.raises(TypeError, match="layers must be a list of layer names, got the string 'res2'"):
        resnet50(x, layers='res2')
    with pytest.raises(TypeError, match='unexpected keyword argument.*colour'):
        resnet50(x, colour=True)
    with pytest.raises(ValueError, match='volatile argument is not supported anymore'):
        resnet50.extract([_rgb_image(8, 8)], volatile=True)


def test_resnet50_extract(resnet50):
    images = [_rgb_image(20, 30, seed=1), np.zeros((40, 40, 3), np.uint8)]
    with _test_mode():
        out = resnet50.extract(images, size=(40, 32))
        direct = resnet50(np.stack([resnet.prepare(i, (40, 32)) for i in images]),
                          layers=['pool5'])
    assert list(out) == ['pool5'] and out['pool5'].shape == (2, 2048)
    np.testing.assert_allclose(out['pool5'].array, direct['pool5'].array, rtol=1e-5)


def test_resnet_rejects_other_depths():
    with pytest.raises(ValueError, match='ResNetLayers: n_layers must be 50, 101 or 152'):
        resnet.ResNetLayers(None, 34)


def test_building_block_n_layer_is_deprecated():
    with pytest.warns(DeprecationWarning, match='n_layers'):
        block = resnet.BuildingBlock(in_channels=4, mid_channels=2, out_channels=8, stride=1,
                                     n_layer=2)
    assert block._forward == ['a', 'b1']
    assert block(np.ones((1, 4, 3, 3), np.float32)).shape == (1, 8, 3, 3)


# ---------------------------------------------------------------------------- GoogLeNet

def test_googlenet_parameters(googlenet_model):
    keys = _keys(googlenet_model)
    expected = {'conv1/W', 'conv2_reduce/b', 'conv2/W', 'inc3a/conv1/W', 'inc3a/proj3/b',
                'inc4e/conv5/W', 'inc5b/projp/W', 'loss1_conv/W', 'loss1_fc1/W',
                'loss1_fc2/b', 'loss2_conv/b', 'loss2_fc1/W', 'loss2_fc2/W', 'loss3_fc/W'}
    assert expected <= keys
    assert len(keys) == 2 * (3 + 9 * 6 + 1 + 2 * 3)
    assert googlenet_model.loss1_fc1.W.shape == (1024, 2048)
    assert googlenet_model.inc4e.conv5.W.shape == (128, 32, 5, 5)
    # pretrained_model=None: LeCunUniform(1.0) outside the inception blocks
    limit = np.sqrt(3 / (3 * 7 * 7))
    w = googlenet_model.conv1.W.array
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit


def test_googlenet_layers_and_auxiliary_outputs(googlenet_model):
    assert googlenet_model.available_layers[-3:] == ['prob', 'loss1_fc2', 'loss2_fc2']
    x = np.random.uniform(-100, 100, (1, 3, 224, 224)).astype(np.float32)
    with _test_mode():
        out = googlenet_model(x, layers=['inception_4a', 'inception_4d', 'pool5', 'prob',
                                         'loss1_fc2', 'loss2_fc2'])
    assert {k: v.shape for k, v in out.items()} == {
        'inception_4a': (1, 512, 14, 14), 'inception_4d': (1, 528, 14, 14),
        'pool5': (1, 1024, 1, 1), 'prob': (1, 1000), 'loss1_fc2': (1, 1000),
        'loss2_fc2': (1, 1000)}
    m = googlenet_model
    for aux, source in (('loss1', 'inception_4a'), ('loss2', 'inception_4d')):
        h = F.average_pooling_2d(out[source], 5, stride=3)
        h = F.relu(getattr(m, f'{aux}_fc1')(F.relu(getattr(m, f'{aux}_conv')(h))))
        np.testing.assert_allclose(out[f'{aux}_fc2'].array,
                                   getattr(m, f'{aux}_fc2')(h).array, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out['prob'].array,
                               F.softmax(m.loss3_fc(out['pool5'])).array, rtol=1e-4)


def test_googlenet_auxiliary_output_alone(googlenet_model, monkeypatch):
    def refuse(x):
        raise AssertionError('a layer after inception_4a was computed')

    for name in ('inc4b', 'inc5b', 'loss2_conv', 'loss3_fc'):
        monkeypatch.setattr(getattr(googlenet_model, name), 'forward', refuse)
    with _test_mode():
        out = googlenet_model(np.zeros((1, 3, 224, 224), np.float32), layers=['loss1_fc2'])
    assert list(out) == ['loss1_fc2'] and out['loss1_fc2'].shape == (1, 1000)


def test_googlenet_small_input(googlenet_model):
    with _test_mode():
        out = googlenet_model.extract([_rgb_image(64, 64)], layers=['conv1', 'inception_5b'],
                                      size=(64, 64))
    assert out['conv1'].shape == (1, 64, 32, 32)
    assert out['inception_5b'].shape == (1, 1024, 2, 2)


def test_googlenet_predict_center_crop(googlenet_model):
    image = _rgb_image(50, 60)
    y = googlenet_model.predict([image], oversample=False)
    assert y.shape == (1, 1000) and y.creator is None  # no graph is kept
    crop = googlenet.prepare(image, (256, 256))[None, :, 16:240, 16:240]
    with _test_mode():
        expected = googlenet_model(crop)['prob']
    np.testing.assert_allclose(y.array, expected.array, rtol=1e-4, atol=1e-7)


# ------------------------------------------------------------------------------ predict

class _ChannelMeans(PretrainedImageModel):
    """A tiny model on the shared base: softmax of the channel means (and the crop's
    top-left pixel, so that crops differ)."""

    _mean_bgr = (1.0, 2.0, 3.0)

    @property
    def functions(self):
        def features(x):
            return F.concat((F.mean(x, axis=(2, 3)), x[:, :, 0, 0]), axis=1)

        return {'feat': [features], 'prob': [F.softmax]}


def _softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_predict_oversample_averages_ten_crops():
    model = _ChannelMeans()
    images = [_rgb_image(300, 280, seed=4), _rgb_image(256, 256, seed=5)]
    y = model.predict(images)
    assert y.shape == (2, 6)
    for i, image in enumerate(images):
        full = np.asarray(image.convert('RGB').resize((256, 256)), np.float32)[:, :, ::-1]
        full = (full - np.float32([1, 2, 3])).transpose(2, 0, 1)
        crops = [full[:, y0:y0 + 224, x0:x0 + 224]
                 for y0, x0 in ((0, 0), (0, 32), (32, 0), (32, 32), (16, 16))]
        crops += [c[:, :, ::-1] for c in crops]
        feats = np.stack([np.concatenate([c.mean(axis=(1, 2)), c[:, 0, 0]]) for c in crops])
        np.testing.assert_allclose(y.array[i], _softmax(feats).mean(axis=0), rtol=1e-5)
    center = model.predict(images, oversample=False)
    assert center.shape == (2, 6) and not np.allclose(center.array, y.array)


# ------------------------------------------------------------------------------ prepare

@pytest.mark.parametrize('module, mean', [
    (vgg, (103.939, 116.779, 123.68)),
    (resnet, (103.063, 115.903, 123.152)),
    (googlenet, (104.0, 117.0, 123.0)),
])
def test_prepare_pil_image(module, mean):
    image = _rgb_image(12, 10)
    rgb = np.asarray(image, np.float32)
    x = module.prepare(image, size=None)
    assert x.shape == (3, 12, 10) and x.dtype == np.float32
    for channel, (rgb_index, m) in enumerate(zip((2, 1, 0), mean)):
        np.testing.assert_allclose(x[channel], rgb[:, :, rgb_index] - np.float32(m), rtol=1e-6)
    resized = module.prepare(image)  # (224, 224) by default
    assert resized.shape == (3, 224, 224)
    wide = module.prepare(image, size=(20, 8))  # PIL's (width, height)
    expected = np.asarray(image.resize((20, 8)), np.float32)[:, :, ::-1]
    np.testing.assert_allclose(wide, (expected - np.float32(mean)).transpose(2, 0, 1),
                               rtol=1e-6)


def test_prepare_arrays():
    hwc = np.random.RandomState(0).randint(0, 256, (9, 7, 3)).astype(np.uint8)
    from_pil = vgg.prepare(Image.fromarray(hwc), size=None)
    np.testing.assert_array_equal(vgg.prepare(hwc, size=None), from_pil)
    np.testing.assert_array_equal(vgg.prepare(hwc.transpose(2, 0, 1), size=None), from_pil)
    np.testing.assert_array_equal(vgg.prepare(hwc.astype(np.float64), size=None), from_pil)
    gray = hwc[:, :, 0]
    for array in (gray, gray[None], gray[:, :, None]):
        x = resnet.prepare(array, size=(5, 4))
        assert x.shape == (3, 4, 5)
        # grey becomes equal R, G and B before the mean is subtracted
        np.testing.assert_allclose(x[0] + 103.063, x[2] + 123.152, rtol=1e-6)
    with tracegrad.using_config('dtype', np.dtype(np.float64)):
        assert googlenet.prepare(hwc).dtype == np.float64
    with pytest.raises(ValueError, match=r'prepare: an image array must be .* got \(4, 5, 6\)'):
        vgg.prepare(np.zeros((4, 5, 6), np.uint8))


def test_prepare_without_pillow(monkeypatch):
    monkeypatch.setitem(sys.modules, 'PIL', None)
    with pytest.raises(ImportError, match='needs Pillow.*pip install Pillow'):
        vgg.prepare(np.zeros((4, 4, 3), np.uint8))


# ------------------------------------------------------------------------------ weights

@pytest.fixture
def dataset_root(tmp_path, monkeypatch):
    monkeypatch.setattr(download, '_dataset_root', None)
    monkeypatch.setenv('TRACEGRAD_DATASET_ROOT', str(tmp_path))
    return tmp_path


def test_load_npz_round_trip(googlenet_model, tmp_path):
    path = str(tmp_path / 'googlenet.npz')
    serializers.save_npz(path, googlenet_model, compression=False)
    loaded = L.GoogLeNet(pretrained_model=path)
    expected = dict(googlenet_model.namedparams())
    for name, param in loaded.namedparams():
        np.testing.assert_array_equal(param.array, expected[name].array)
    x = np.random.uniform(-50, 50, (1, 3, 48, 48)).astype(np.float32)
    with _test_mode():
        a = loaded(x, layers=['inception_4e'])['inception_4e']
        b = googlenet_model(x, layers=['inception_4e'])['inception_4e']
    np.testing.assert_array_equal(a.array, b.array)


def test_auto_loads_chainers_converted_file(googlenet_model, dataset_root):
    folder = dataset_root / 'pfnet' / 'chainer' / 'models'
    folder.mkdir(parents=True)
    serializers.save_npz(str(folder / 'bvlc_googlenet.npz'), googlenet_model,
                         compression=False)
    loaded = L.GoogLeNet()  # pretrained_model='auto' by default
    np.testing.assert_array_equal(loaded.loss2_fc1.W.array, googlenet_model.loss2_fc1.W.array)
    np.testing.assert_array_equal(loaded.inc5b.projp.b.array, googlenet_model.inc5b.projp.b.array)


@pytest.mark.parametrize('make, name, origin', [
    (lambda: L.VGG16Layers(), 'VGG_ILSVRC_16_layers.npz', 'VGG_ILSVRC_16_layers.caffemodel'),
    (lambda: L.VGG19Layers('auto'), 'VGG_ILSVRC_19_layers.npz',
     'VGG_ILSVRC_19_layers.caffemodel'),
    (lambda: L.ResNet50Layers(), 'ResNet-50-model.npz', 'ResNet-50-model.caffemodel'),
    (lambda: L.ResNet101Layers('ResNet-101-model.caffemodel'), 'ResNet-101-model.npz',
     'deep-residual-networks'),
    (lambda: L.ResNet152Layers(), 'ResNet-152-model.npz', 'ResNet-152-model.caffemodel'),
    (lambda: L.GoogLeNet(), 'bvlc_googlenet.npz', 'bvlc_googlenet.caffemodel'),
])
def test_auto_without_the_file_explains(make, name, origin, dataset_root):
    folder = os.path.join(str(dataset_root), 'pfnet', 'chainer', 'models')
    with pytest.raises(FileNotFoundError) as info:
        make()
    message = str(info.value)
    assert name in message and folder in message and origin in message
    assert 'pfnet/chainer/models' in message and 'TRACEGRAD_DATASET_ROOT' in message
    assert not os.path.exists(folder)  # nothing created


def test_missing_npz_path_fails(tmp_path):
    with pytest.raises(OSError):
        L.ResNet50Layers(pretrained_model=str(tmp_path / 'absent.npz'))


# --------------------------------------------------------------------------------- GPU

@pytest.mark.gpu
def test_gpu_matches_cpu(googlenet_model):
    from tracegrad import backend
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    gpu_model = googlenet_model.copy(mode='copy').to_device(backend.get_device('@cupy:0'))
    image = _rgb_image(40, 40)
    with _test_mode():
        cpu = googlenet_model.extract([image], layers=['inception_3b'], size=(48, 48))
        gpu = gpu_model.extract([image], layers=['inception_3b'], size=(48, 48))
    np.testing.assert_allclose(cuda.to_cpu(gpu['inception_3b'].array),
                               cpu['inception_3b'].array, rtol=1e-4, atol=1e-4)
