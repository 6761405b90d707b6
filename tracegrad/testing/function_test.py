"""FunctionTestCase: forward, backward and double-backward tests from a few methods."""
from __future__ import annotations

import unittest

import numpy
import pytest

from tracegrad import backend, gradient_check
from tracegrad.backends import cuda
from tracegrad.testing.array import assert_allclose
from tracegrad.variable import Variable


def _noncontiguous(a):
    """A copy of ``a`` with the same values whose memory is not contiguous."""
    if a is None or a.size <= 1:
        return a
    xp = backend.get_array_module(a)
    wide = xp.empty(a.shape[:-1] + (a.shape[-1] * 2,), dtype=a.dtype)
    view = wide[..., ::2]
    view[...] = a
    return view


class FunctionTestCase(unittest.TestCase):
    """Tests a differentiable function from a few methods.

    Implement:
        ``generate_inputs()`` -> tuple of arrays;
        ``forward(inputs, device)`` -> tuple of Variables (``inputs`` are Variables);
        ``forward_expected(inputs)`` -> tuple of arrays (``inputs`` are arrays), the
        reference written with NumPy.
    Optionally override ``generate_grad_outputs(outputs_template)`` and
    ``generate_grad_grad_inputs(inputs_template)``, and set
    ``check_forward_options``, ``check_backward_options``,
    ``check_double_backward_options`` (dicts of atol/rtol/eps/dtype...) and
    ``skip_backward_test`` / ``skip_double_backward_test``.

    Each test runs on contiguous inputs and on non-contiguous copies of them,
    on NumPy, and (``test_*_gpu``, marked ``gpu``) on CuPy when a GPU is present.
    ``forward_expected`` must not modify its inputs.
    """

    __test__ = False  # concrete subclasses (and parameterize) turn collection on

    check_forward_options: dict = {}
    check_backward_options: dict = {}
    check_double_backward_options: dict = {}
    skip_forward_test = False
    skip_backward_test = False
    skip_double_backward_test = False
    dodge_nondifferentiable = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if '__test__' not in cls.__dict__:
            cls.__test__ = True

    # -- to implement --
    def generate_inputs(self):
        raise NotImplementedError

    def forward(self, inputs, device):
        raise NotImplementedError

    def forward_expected(self, inputs):
        raise NotImplementedError

    def before_test(self, test_name: str) -> None:
        """Hook run before each test (e.g. to adjust tolerances)."""

    def generate_grad_outputs(self, outputs_template):
        rng = numpy.random.RandomState(1)
        return tuple(rng.uniform(-1, 1, y.shape).astype(y.dtype) for y in outputs_template)

    def generate_grad_grad_inputs(self, inputs_template):
        rng = numpy.random.RandomState(2)
        return tuple(rng.uniform(-1, 1, x.shape).astype(x.dtype) for x in inputs_template)

    # -- machinery --
    def _inputs(self, contiguous: bool, device):
        inputs = self.generate_inputs()
        if not isinstance(inputs, tuple):
            raise TypeError(f'{type(self).__name__}.generate_inputs must return a tuple')
        inputs = tuple(device.send(x) for x in inputs)
        if not contiguous:
            inputs = tuple(_noncontiguous(x) for x in inputs)
        return inputs

    def _float_input_mask(self, inputs):
        return [x is not None and numpy.dtype(x.dtype).kind == 'f' for x in inputs]

    def _forward_vars(self, inputs, device):
        outputs = self.forward(tuple(Variable(x) for x in inputs), device)
        if not isinstance(outputs, tuple):
            raise TypeError(f'{type(self).__name__}.forward must return a tuple of Variables')
        return outputs

    def _check_forward(self, device, contiguous: bool):
        self.before_test('test_forward')
        inputs = self._inputs(contiguous, device)
        expected_inputs = tuple(None if x is None else backend.CpuDevice().send(x).copy()
                                for x in inputs)
        outputs = self._forward_vars(inputs, device)
        expected = self.forward_expected(expected_inputs)
        if not isinstance(expected, tuple):
            raise TypeError(f'{type(self).__name__}.forward_expected must return a tuple')
        assert len(outputs) == len(expected), \
            f'{len(outputs)} outputs, {len(expected)} expected'
        for i, (y, e) in enumerate(zip(outputs, expected)):
            assert isinstance(y, Variable), f'output {i} is {type(y).__name__}, not a Variable'
            e = numpy.asarray(e)
            assert y.dtype == e.dtype, f'output {i}: dtype {y.dtype}, expected {e.dtype}'
            assert y.shape == e.shape, f'output {i}: shape {y.shape}, expected {e.shape}'
            assert_allclose(y.array, e, **self.check_forward_options)

    def _check_backward(self, device, contiguous: bool):
        self.before_test('test_backward')
        inputs = self._inputs(contiguous, device)
        mask = self._float_input_mask(inputs)
        template = [y.array for y in self._forward_vars(inputs, device)]
        grad_outputs = tuple(device.send(g) for g in self.generate_grad_outputs(template))

        def f(*xs):
            return self.forward(xs, device)

        gradient_check.check_backward(
            f, inputs, grad_outputs, no_grads=[not m for m in mask],
            **self.check_backward_options)

    def _check_double_backward(self, device, contiguous: bool):
        self.before_test('test_double_backward')
        inputs = self._inputs(contiguous, device)
        mask = self._float_input_mask(inputs)
        template = [y.array for y in self._forward_vars(inputs, device)]
        grad_outputs = tuple(device.send(g) for g in self.generate_grad_outputs(template))
        grad_grad = tuple(device.send(g) for g in self.generate_grad_grad_inputs(
            [x for x, m in zip(inputs, mask) if m]))

        def f(*xs):
            return self.forward(xs, device)

        gradient_check.check_double_backward(
            f, inputs, grad_outputs, grad_grad, no_grads=[not m for m in mask],
            **self.check_double_backward_options)

    # -- the tests --
    def test_forward(self):
        if self.skip_forward_test:
            pytest.skip('this function has no forward test')
        for contiguous in (True, False):
            self._check_forward(backend.CpuDevice(), contiguous)

    def test_backward(self):
        if self.skip_backward_test:
            pytest.skip('this function is not differentiable')
        for contiguous in (True, False):
            self._check_backward(backend.CpuDevice(), contiguous)

    def test_double_backward(self):
        if self.skip_double_backward_test:
            pytest.skip('Chainer does not support double backprop for this function')
        for contiguous in (True, False):
            self._check_double_backward(backend.CpuDevice(), contiguous)

    def _gpu_device(self):
        if not cuda.available:
            pytest.skip('needs CuPy and a CUDA GPU')
        return backend.get_device('@cupy:0')

    @pytest.mark.gpu
    def test_forward_gpu(self):
        device = self._gpu_device()
        if self.skip_forward_test:
            pytest.skip('this function has no forward test')
        self._check_forward(device, True)

    @pytest.mark.gpu
    def test_backward_gpu(self):
        device = self._gpu_device()
        if self.skip_backward_test:
            pytest.skip('this function is not differentiable')
        self._check_backward(device, True)
