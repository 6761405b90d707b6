"""Gradient clipping by the global L2 norm, as an optimizer hook."""
from __future__ import annotations

from tracegrad import backend


def _clipping_rate(grads, threshold):
    """``threshold / max(norm, threshold)`` for the global L2 norm of ``grads``.

    On one device the rate is computed there with ``xp``; gradients spread over
    several devices are summed on the host.
    """
    per_device: dict = {}
    for grad in grads:
        xp = backend.get_array_module(grad)
        device = backend.get_device_from_array(grad)
        per_device[device] = per_device.get(device, 0) + xp.sum(grad * grad)
    if len(per_device) == 1:
        xp = backend.get_array_module(grads[0])
        return threshold / xp.maximum(xp.sqrt(next(iter(per_device.values()))), threshold)
    norm = sum(float(s) for s in per_device.values()) ** 0.5
    return threshold / max(norm, threshold)


class GradientClipping:
    """Scale all gradients together so that their global L2 norm is at most ``threshold``.

    The factor is ``threshold / max(norm, threshold)``: 1 when the norm is within
    the threshold, so no comparison on array values is needed.

    Args:
        threshold (float): the largest allowed L2 norm of all gradients together.

    Attributes:
        threshold (float): the L2 norm threshold.
        timing (str): 'pre' (default) or 'post': when the optimizer calls the hook.
    """

    name = 'GradientClipping'
    timing = 'pre'

    def __init__(self, threshold: float):
        self.threshold = threshold

    def __call__(self, opt) -> None:
        grad_vars = [p.grad_var for p in opt.target.params(include_uninit=False)
                     if p.grad_var is not None]
        if not grad_vars:
            return
        rate = _clipping_rate([g.array for g in grad_vars], self.threshold)
        for grad_var in grad_vars:
            grad = grad_var.array
            grad_var.array = (grad * rate).astype(grad.dtype, copy=False)
