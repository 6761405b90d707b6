"""Decorrelated batch normalization needs an eigendecomposition, which the IR lacks:
training mode must fail to compile naming the op; test mode (a matrix product) compiles."""
import numpy as np
import pytest
from compile_helpers import tolerances

import tracegrad
import tracegrad.links as L
from tracegrad.compile.tracer import CompileError


def test_batch_statistics_raise_compile_error_naming_eigh(backend_name):
    dbn = L.DecorrelatedBatchNormalization(4, groups=2)
    forward = tracegrad.compile(dbn, backend=backend_name)
    with pytest.raises(CompileError, match=r'linalg\.eigh'):
        forward(np.random.randn(5, 4).astype(np.float32))
    np.testing.assert_array_equal(dbn.avg_mean, 0)  # nothing was written back


def test_eager_fallback_still_trains_statistics(backend_name):
    dbn = L.DecorrelatedBatchNormalization(4, groups=2)
    forward = tracegrad.compile(dbn, backend=backend_name, fallback='eager')
    x = np.random.randn(5, 4).astype(np.float32)
    with pytest.warns(RuntimeWarning, match=r'linalg\.eigh'):
        forward(x)
    # updated once, by the eager run (the failed trace left it alone)
    np.testing.assert_allclose(dbn.avg_mean, 0.1 * x.T.reshape(2, 2, 5).mean(axis=2), rtol=1e-5)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_fixed_statistics_compile(dtype, backend_name):
    rng = np.random.RandomState(0)
    dbn = L.DecorrelatedBatchNormalization(6, groups=3, dtype=dtype)
    dbn(rng.randn(7, 6, 2).astype(dtype))  # move the statistics off 0 / identity
    forward = tracegrad.compile(dbn, backend=backend_name)
    x = rng.randn(4, 6, 2).astype(dtype)
    with tracegrad.using_config('train', False):
        y_c = forward(x)
        y_e = dbn(x)
    np.testing.assert_allclose(y_c.array, y_e.array, **tolerances(dtype))
    assert forward.statistics()['eager_calls'] == 0
