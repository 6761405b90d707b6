"""L1 regularization as an optimizer hook."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.optimizer import scalar_like


class Lasso:
    """Add ``rate * sign(param)`` to each gradient (L1 regularization).

    Args:
        rate (float): the coefficient.

    Attributes:
        rate (float): the coefficient.
        timing (str): 'pre' (default) or 'post': when the optimizer calls the hook.
    """

    name = 'Lasso'
    call_for_each_param = True
    timing = 'pre'

    def __init__(self, rate: float):
        self.rate = rate

    def __call__(self, rule, param) -> None:
        p, grad_var = param.array, param.grad_var
        if p is None or grad_var is None:
            return
        xp = backend.get_array_module(p)
        grad_var.array = grad_var.array + scalar_like(self.rate, p.dtype) * xp.sign(p)
