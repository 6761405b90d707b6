"""L2 regularization as an optimizer hook.

Also home of the per-parameter penalty hook that L1 (Lasso) shares with it.
"""
from __future__ import annotations

from tracegrad.optimizer import scalar_like


class _GradientPenalty:
    """Add ``rate * penalty(param)`` to each gradient; subclasses say what the penalty is."""

    call_for_each_param = True
    timing = 'pre'

    def __init__(self, rate: float):
        self.rate = rate

    def _rate_for(self, param) -> float:
        return self.rate

    def _penalty(self, p):
        raise NotImplementedError

    def __call__(self, rule, param) -> None:
        p, grad_var = param.array, param.grad_var
        if p is None or grad_var is None:
            return
        rate = scalar_like(self._rate_for(param), p.dtype)
        grad_var.array = grad_var.array + rate * self._penalty(p)


class WeightDecay(_GradientPenalty):
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

    def _rate_for(self, param) -> float:
        if param._loss_scale is not None:
            return self.rate * param._loss_scale
        return self.rate

    def _penalty(self, p):
        return p
