"""concat_examples, to_device and the converter decorator."""
import numpy as np
import pytest

import tracegrad
from tracegrad import backend, dataset
from tracegrad.backends import cuda
from tracegrad.dataset.convert import _call_converter


def test_tuples_become_tuple_of_arrays():
    batch = [(np.array([1., 2.], np.float32), 0), (np.array([3., 4.], np.float32), 1)]
    x, t = dataset.concat_examples(batch)
    np.testing.assert_array_equal(x, [[1, 2], [3, 4]])
    assert x.dtype == np.float32 and x.shape == (2, 2)
    np.testing.assert_array_equal(t, [0, 1])
    assert isinstance(t, np.ndarray)


def test_dicts_become_dict_of_arrays():
    batch = [{'x': np.zeros(3), 'y': 1}, {'x': np.ones(3), 'y': 2}]
    out = dataset.concat_examples(batch)
    assert set(out) == {'x', 'y'}
    np.testing.assert_array_equal(out['x'], [[0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(out['y'], [1, 2])


def test_arrays_and_numbers_become_one_array():
    out = dataset.concat_examples([np.arange(3), np.arange(3) + 3])
    np.testing.assert_array_equal(out, [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(dataset.concat_examples([1.5, 2.5]), [1.5, 2.5])
    np.testing.assert_array_equal(dataset.concat_examples([[1, 2], [3, 4]]), [[1, 2], [3, 4]])


def test_different_shapes_without_padding_fail():
    with pytest.raises(ValueError):
        dataset.concat_examples([np.zeros(2), np.zeros(3)])


def test_padding_scalar_2d():
    batch = [np.ones((2, 1), np.int32), np.ones((1, 3), np.int32) * 2]
    out = dataset.concat_examples(batch, padding=-1)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[[1, -1, -1], [1, -1, -1]],
                                        [[2, 2, 2], [-1, -1, -1]]])


def test_padding_per_element_tuple_and_dict():
    batch = [(np.array([1, 2]), np.array([0])), (np.array([3]), np.array([], int))]
    x, t = dataset.concat_examples(batch, padding=(100, 200))
    np.testing.assert_array_equal(x, [[1, 2], [3, 100]])
    np.testing.assert_array_equal(t, [[0], [200]])
    batch = [{'a': np.array([1]), 'b': np.array([1, 2])}, {'a': np.array([1, 2]), 'b': np.array([3])}]
    out = dataset.concat_examples(batch, padding={'a': 7, 'b': 8})
    np.testing.assert_array_equal(out['a'], [[1, 7], [1, 2]])
    np.testing.assert_array_equal(out['b'], [[1, 2], [3, 8]])


def test_padding_different_ndim_fails():
    with pytest.raises(ValueError, match='concat_examples'):
        dataset.concat_examples([np.zeros(2), np.zeros((2, 2))], padding=0)


def test_empty_batch():
    with pytest.raises(ValueError, match='batch is empty'):
        dataset.concat_examples([])


@pytest.mark.parametrize('device', [-1, '@numpy', np, backend.CpuDevice()])
def test_cpu_device_specifiers(device):
    x, t = dataset.concat_examples([(np.zeros(2), 1)], device)
    assert isinstance(x, np.ndarray) and isinstance(t, np.ndarray)
    x, t = dataset.concat_examples([(np.zeros(2), 1)], device=device)
    assert isinstance(x, np.ndarray)


def test_bad_device_specifier():
    with pytest.raises(ValueError, match='invalid device'):
        dataset.concat_examples([np.zeros(2)], '@nowhere')


def test_to_device():
    a = np.arange(3)
    assert dataset.to_device(None, a) is a
    assert dataset.to_device(-1, a) is a
    np.testing.assert_array_equal(dataset.to_device('@numpy', [1, 2]), [1, 2])


def test_converter_decorator_gives_a_device():
    seen = []

    @dataset.converter()
    def conv(batch, device):
        seen.append(device)
        return len(batch)

    assert isinstance(conv, dataset.Converter)
    assert conv([1, 2, 3], -1) == 3
    assert conv([1], device='@numpy') == 1
    assert conv([1], None) == 1
    assert conv([1], np) == 1
    assert seen[0] == backend.CpuDevice() and isinstance(seen[0], backend.Device)
    assert seen[1] == backend.CpuDevice()
    assert seen[2] is None
    assert seen[3] == backend.CpuDevice()


def test_converter_passes_extra_arguments():
    @dataset.converter()
    def conv(batch, device, padding=None):
        return device, padding

    device, padding = conv([], -1, padding=5)
    assert device == backend.CpuDevice() and padding == 5


def test_converter_needs_a_callable():
    with pytest.raises(TypeError, match='callable'):
        dataset.converter()(3)


def test_converter_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        dataset.Converter()([], None)


def test_call_converter_old_and_new_style():
    calls = []

    def old_style(batch, device):
        calls.append(device)
        return batch

    _call_converter(old_style, [1], backend.CpuDevice())
    _call_converter(old_style, [1], None)
    assert calls == [-1, None]
    x = _call_converter(dataset.concat_examples, [np.zeros(2)], backend.CpuDevice())
    assert x.shape == (1, 2)


def test_chainer_style_use():
    chainer = tracegrad
    x, t = chainer.dataset.concat_examples([(np.zeros(3, np.float32), np.int32(1))] * 4, -1)
    assert x.shape == (4, 3) and t.dtype == np.int32


@pytest.mark.gpu
def test_concat_examples_to_gpu():
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    x, t = dataset.concat_examples([(np.zeros(2), 1), (np.ones(2), 2)], '@cupy:0')
    assert isinstance(x, cuda.ndarray) and isinstance(t, cuda.ndarray)
    padded = dataset.concat_examples([x[0], x[1, :1]], padding=-1)
    assert isinstance(padded, cuda.ndarray)
    np.testing.assert_array_equal(padded.get(), [[0, 0], [1, -1]])
    assert isinstance(_call_converter(lambda b, d: d, [1], backend.get_device(0)), int)
