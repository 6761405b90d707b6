"""Element-wise gradient clipping as an optimizer hook."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.optimizer import scalar_like


class GradientHardClipping:
    """Clip every gradient element into ``[lower_bound, upper_bound]``.

    Args:
        lower_bound (float): the smallest allowed value (None: no lower bound).
        upper_bound (float): the largest allowed value (None: no upper bound).

    Attributes:
        lower_bound, upper_bound (float): the bounds.
        timing (str): 'pre' (default) or 'post': when the optimizer calls the hook.
    """

    name = 'GradientHardClipping'
    call_for_each_param = True
    timing = 'pre'

    def __init__(self, lower_bound: float | None, upper_bound: float | None):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def __call__(self, rule, param) -> None:
        grad_var = param.grad_var
        if grad_var is None:
            return
        grad = grad_var.array
        xp = backend.get_array_module(grad)
        grad_var.array = xp.clip(grad, scalar_like(self.lower_bound, grad.dtype),
                                 scalar_like(self.upper_bound, grad.dtype))
