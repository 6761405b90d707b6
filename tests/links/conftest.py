"""Shared helpers of the link tests."""
import numpy as np
import pytest

import tracegrad
from tracegrad import gradient_check


@pytest.fixture
def float64_params():
    """Create link parameters in float64, so gradient checks are precise."""
    with tracegrad.using_config('dtype', np.dtype(np.float64)):
        yield


def _check_link_backward(link, x_data, y_grad=None, **options):
    """Finite-difference check of a link's gradients wrt its inputs and parameters."""
    options.setdefault('atol', 1e-6)
    options.setdefault('rtol', 1e-5)
    options.setdefault('eps', 1e-4)
    if y_grad is None:
        x0 = x_data[0] if isinstance(x_data, tuple) else x_data
        y = link(*x_data) if isinstance(x_data, tuple) else link(x_data)
        y_grad = np.random.uniform(-1, 1, y.shape).astype(x0.dtype)
    gradient_check.check_backward(link, x_data, y_grad, params=list(link.params()),
                                  **options)


@pytest.fixture
def check_link_backward():
    """``check_link_backward(link, x_data, y_grad=None, **options)``."""
    return _check_link_backward
