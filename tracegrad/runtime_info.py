"""``print_runtime_info``: the versions and optional parts a bug report needs."""
from __future__ import annotations

import platform
import sys

import numpy


def _runtime_info() -> str:
    import tracegrad
    from tracegrad import _native
    from tracegrad.backends import cuda

    lines = [f'Platform: {platform.platform()}',
             f'tracegrad: {tracegrad.__version__}',
             f'NumPy: {numpy.__version__}']
    if cuda.cupy is None:
        lines.append('CuPy: Not Available')
    else:
        lines.append(f'CuPy: {getattr(cuda.cupy, "__version__", "unknown version")} '
                     f'({"a GPU is" if cuda.available else "no GPU"} available)')
    lines.append(f'C hot path (tracegrad._speedups): {"on" if _native.ENABLED else "off"}')
    return '\n'.join(lines) + '\n'


def print_runtime_info(out=None) -> None:
    """Write the platform and the versions of tracegrad, NumPy and CuPy to ``out``
    (default ``sys.stdout``).

    >>> chainer.print_runtime_info()  # doctest: +ELLIPSIS
    Platform: ...
    tracegrad: ...
    NumPy: ...
    """
    if out is None:
        out = sys.stdout
    out.write(_runtime_info())
    if hasattr(out, 'flush'):
        out.flush()
