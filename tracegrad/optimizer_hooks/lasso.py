"""L1 regularization as an optimizer hook."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.optimizer_hooks.weight_decay import _GradientPenalty


class Lasso(_GradientPenalty):
    """Add ``rate * sign(param)`` to each gradient (L1 regularization).

    Args:
        rate (float): the coefficient.

    Attributes:
        rate (float): the coefficient.
        timing (str): 'pre' (default) or 'post': when the optimizer calls the hook.
    """

    name = 'Lasso'

    def _penalty(self, p):
        return backend.get_array_module(p).sign(p)
