"""PrintHook: print what goes into each function's forward and backward."""
from __future__ import annotations

import sys
import warnings

from tracegrad import backend
from tracegrad.function_hook import FunctionHook
from tracegrad.variable import Variable


class PrintHook(FunctionHook):
    """Print each function's name and a summary of its inputs (and, in backward, of the
    output gradients) just before it runs.

    Args:
        sep: ignored (deprecated in Chainer v4; a DeprecationWarning when given).
        end: written after each printed block.
        file: where to write.
        flush: flush ``file`` after each function.

    >>> import io
    >>> out = io.StringIO()
    >>> with tracegrad.function_hooks.PrintHook(file=out):
    ...     y = F.relu(np.zeros((2, 3), np.float32))
    >>> print(out.getvalue().splitlines()[0])
    function	ReLU
    """

    name = 'PrintHook'

    def __init__(self, sep=None, end: str = '\n', file=sys.stdout, flush: bool = True) -> None:
        if sep is not None:
            warnings.warn('PrintHook: the sep argument is deprecated and ignored',
                          DeprecationWarning, stacklevel=2)
        self.sep = sep
        self.end = end
        self.file = file
        self.flush = flush

    def _print(self, text: str) -> None:
        self.file.write(text + self.end)

    def _process(self, function, in_data, out_grad=None) -> None:
        self._print(f'function\t{function.label}')
        self._print('input data')
        for x in in_data:
            self._print('(removed)' if x is None else Variable(x).debug_print())
        if out_grad is not None:
            self._print('output gradient')
            for g in out_grad:
                if g is None:  # an output that got no gradient
                    self._print('None')
                    continue
                v = Variable(backend.get_array_module(g).zeros_like(g))
                v.grad = g
                self._print(v.debug_print())
        if self.flush and hasattr(self.file, 'flush'):
            self.file.flush()

    def forward_preprocess(self, function, in_data) -> None:
        self._process(function, in_data)

    def backward_preprocess(self, function, in_data, out_grad) -> None:
        self._process(function, in_data, out_grad)
