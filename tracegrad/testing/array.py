"""Array comparison with messages that show where arrays differ."""
from __future__ import annotations

import numpy

from tracegrad import backend


def assert_allclose(x, y, atol: float = 1e-5, rtol: float = 1e-4, verbose: bool = True) -> None:
    """Assert that two arrays (or Variables) are equal within ``atol + rtol * |y|``.

    Shapes must match exactly (no broadcasting). The message lists the worst
    mismatch and its index.
    """
    from tracegrad.variable import Variable

    x = backend.CpuDevice().send(x.array if isinstance(x, Variable) else x)
    y = backend.CpuDevice().send(y.array if isinstance(y, Variable) else y)
    x = numpy.asarray(x)
    y = numpy.asarray(y)
    if x.shape != y.shape:
        raise AssertionError(f'assert_allclose: shapes differ: {x.shape} vs {y.shape}')
    try:
        numpy.testing.assert_allclose(x, y, atol=atol, rtol=rtol, verbose=verbose)
    except AssertionError as e:
        diff = numpy.abs(x.astype(numpy.float64) - y.astype(numpy.float64))
        if diff.size:
            worst = numpy.unravel_index(numpy.nanargmax(numpy.where(numpy.isnan(diff), numpy.inf,
                                                                    diff)), diff.shape)
            extra = f'\nworst at index {worst}: {x[worst]!r} vs {y[worst]!r}'
        else:
            extra = ''
        raise AssertionError(f'{e}{extra}') from None
