"""Layer-wise adaptive rate scaling (LARS) as an optimizer hook."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.optimizer import scalar_like


class GradientLARS:
    """Scale each gradient by its layer's ratio of weight norm to gradient norm.

    With ``w`` the parameter and ``g`` its gradient, the hook computes::

        rate = |w| / (eps + |g| + weight_decay * |w|)   if |w| > threshold, else 1
        g = rate * (g + weight_decay * w)

    (You et al., https://arxiv.org/abs/1708.03888; the threshold and eps follow
    https://arxiv.org/abs/1801.03137.) The optimizer's learning rate plays the
    role of the paper's global rate times the LARS coefficient.

    Args:
        threshold (float): scale only parameters whose norm exceeds this.
        weight_decay (float): the weight decay coefficient.
        eps (float): small value for numerical stability.

    Attributes:
        timing (str): 'pre' (default) or 'post': when the optimizer calls the hook.
    """

    name = 'GradientLARS'
    call_for_each_param = True
    timing = 'pre'

    def __init__(self, threshold: float = 1e-2, weight_decay: float = 0.0, eps: float = 1e-9):
        self.threshold = threshold
        self.weight_decay = weight_decay
        self.eps = eps

    def __call__(self, rule, param) -> None:
        p, grad_var = param.array, param.grad_var
        if p is None or grad_var is None:
            return
        xp = backend.get_array_module(p)
        g = grad_var.array
        weight_decay = scalar_like(self.weight_decay, p.dtype)
        p_norm = xp.sqrt(xp.sum(p * p))
        g_norm = xp.sqrt(xp.sum(g * g))
        local_rate = p_norm / (scalar_like(self.eps, p.dtype) + g_norm + weight_decay * p_norm)
        rate = xp.where(p_norm > scalar_like(self.threshold, p.dtype), local_rate,
                        scalar_like(1, p.dtype))
        grad_var.array = (g + weight_decay * p) * rate
