"""Test helpers: parameter grids, array comparison, a FunctionTestCase harness and the
training step of Chainer's examples (``training_step``).

A function test states how to make inputs, how to call the function and what
it should return; the harness runs forward, backward (against finite
differences) and double-backward checks, on contiguous and non-contiguous
inputs, on NumPy and (with a GPU) on CuPy.
"""
from tracegrad.testing.array import assert_allclose  # noqa: F401
from tracegrad.testing.function_test import FunctionTestCase  # noqa: F401
from tracegrad.testing.parameterized import parameterize, product, product_dict  # noqa: F401
from tracegrad.testing.steps import training_step  # noqa: F401
