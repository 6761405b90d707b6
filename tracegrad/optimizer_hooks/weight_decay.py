"""L2 regularization as an optimizer hook."""
from __future__ import annotations

from tracegrad.optimizer import scalar_like


class WeightDecay:
    """Add ``rate * param`` to each gradient (L2 regularization).

    Gradients of a loss backpropagated with ``loss_scale`` are still scaled
    when an optimizer-level 'pre' hook runs, so the rate is scaled too.

    Args:
        rate (float): the decay coefficient.

    Attributes:
        rate (float): the decay coefficient.
        timing (str): 'pre' (default) or 'post': when the optimizer calls the hook.
    """

    name = 'WeightDecay'
    call_for_each_param = True
    timing = 'pre'

    def __init__(self, rate: float):
        self.rate = rate

    def __call__(self, rule, param) -> None:
        p, grad_var = param.array, param.grad_var
        if p is None or grad_var is None:
            return
        rate = self.rate
        if param._loss_scale is not None:
            rate = rate * param._loss_scale
        grad_var.array = grad_var.array + scalar_like(rate, p.dtype) * p
