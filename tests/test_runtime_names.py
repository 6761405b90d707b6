"""Small top-level names: print_runtime_info, using_device, DeviceResident, and the
array helpers of tracegrad.utils (size_of_shape, get_conv_outsize, get_deconv_outsize,
sum_to)."""
import io

import numpy as np
import pytest

import tracegrad
import tracegrad.links as L
from tracegrad import backend, utils
from tracegrad.backends import cuda


def test_print_runtime_info():
    out = io.StringIO()
    tracegrad.print_runtime_info(out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith('Platform: ')
    assert lines[1] == f'tracegrad: {tracegrad.__version__}'
    assert lines[2] == f'NumPy: {np.__version__}'
    assert lines[3].startswith('CuPy: ')
    if cuda.cupy is None:
        assert lines[3] == 'CuPy: Not Available'
    assert lines[4] in ('C hot path (tracegrad._speedups): on',
                        'C hot path (tracegrad._speedups): off')


def test_using_device_is_the_backend_one():
    assert tracegrad.using_device is backend.using_device
    with tracegrad.using_device('@numpy'):
        pass
    with pytest.raises(ValueError, match='invalid device specifier'):
        tracegrad.using_device('@nothing:0')


class Table(tracegrad.DeviceResident):
    def __init__(self):
        super().__init__()
        self.values = np.arange(3.)
        self.weight = tracegrad.Parameter(np.ones(2, np.float32))

    def device_resident_accept(self, visitor):
        super().device_resident_accept(visitor)
        self.values = visitor.visit_array(self.values)
        visitor.visit_variable(self.weight)


def test_device_resident_moves_what_it_visits():
    table = Table()
    assert table.device == backend.CpuDevice() and table.xp is np
    assert table.to_device('@numpy') is table and table.to_cpu() is table
    np.testing.assert_array_equal(table.values, [0., 1., 2.])
    if not cuda.available:
        with pytest.raises(RuntimeError, match='a GPU was requested'):
            table.to_gpu()


@pytest.mark.gpu
def test_device_resident_on_gpu():
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU (or TRACEGRAD_HOST_CUPY=1)')
    table = Table().to_device('@cupy:0')
    assert isinstance(table.values, cuda.ndarray) and isinstance(table.weight.array, cuda.ndarray)
    assert table.xp is cuda.cupy and str(table.device) == '@cupy:0'
    table.to_cpu()
    assert isinstance(table.values, np.ndarray) and table.xp is np


def test_links_are_device_residents():
    link = L.Linear(2, 3)
    assert isinstance(link, tracegrad.DeviceResident)
    assert link.device == backend.CpuDevice() and link.xp is np
    assert link.to_cpu() is link


def test_size_of_shape():
    assert utils.size_of_shape((2, 3, 4)) == 24
    assert utils.size_of_shape(()) == 1
    assert utils.size_of_shape((5, 0)) == 0
    assert type(utils.size_of_shape(np.array([2, 3]))) is int


@pytest.mark.parametrize('size,k,s,p,cover_all,d', [
    (7, 3, 1, 0, False, 1), (7, 3, 2, 1, False, 1), (6, 3, 2, 0, True, 1),
    (10, 3, 3, 1, True, 1), (9, 3, 1, 2, False, 2), (5, 1, 1, 0, False, 1)])
def test_conv_and_deconv_outsize(size, k, s, p, cover_all, d):
    span = k + (k - 1) * (d - 1)
    expected = (size + 2 * p - span + (s - 1 if cover_all else 0)) // s + 1
    assert utils.get_conv_outsize(size, k, s, p, cover_all, d) == expected
    # A brute-force count of the windows that fit.
    padded = size + 2 * p
    starts = range(0, padded - span + 1 + (s - 1 if cover_all else 0), s)
    assert len(starts) == expected
    out = utils.get_deconv_outsize(expected, k, s, p, cover_all, d)
    assert utils.get_conv_outsize(out, k, s, p, cover_all, d) == expected
    if not cover_all:
        assert out == s * (expected - 1) + span - 2 * p


def test_sum_to():
    x = np.arange(24.).reshape(2, 3, 4)
    np.testing.assert_array_equal(utils.sum_to(x, (3, 4)), x.sum(axis=0))
    np.testing.assert_array_equal(utils.sum_to(x, (3, 1)), x.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(utils.sum_to(x, (1, 1, 4)), x.sum(axis=(0, 1), keepdims=True))
    assert utils.sum_to(x, (2, 3, 4)) is x
    with pytest.raises(TypeError, match='functions.sum_to'):
        utils.sum_to(tracegrad.Variable(x), (3, 4))
