"""Annealed Gaussian gradient noise as an optimizer hook."""
from __future__ import annotations

from collections.abc import Callable

from tracegrad import backend


def exponential_decay_noise(xp, shape, dtype, hook, opt):
    """Gaussian noise with variance ``eta / (1 + t)**0.55``
    (Neelakantan et al., https://arxiv.org/abs/1511.06807).

    ``opt`` is the update rule (or optimizer) whose ``t`` is the step count.
    """
    std = xp.sqrt(hook.eta / (1 + opt.t) ** 0.55)
    return (xp.random.standard_normal(shape) * std).astype(dtype)


class GradientNoise:
    """Add noise from ``noise_func(xp, shape, dtype, hook, rule)`` to each gradient.

    Args:
        eta (float): the scale of the noise (0.01, 0.3 or 1.0 are suggested
            for the default noise function).
        noise_func: the noise generator; by default
            :func:`exponential_decay_noise`.

    Attributes:
        timing (str): 'pre' (default) or 'post': when the optimizer calls the hook.
    """

    name = 'GradientNoise'
    call_for_each_param = True
    timing = 'pre'

    def __init__(self, eta: float, noise_func: Callable = exponential_decay_noise):
        self.eta = eta
        self.noise_func = noise_func

    def __call__(self, rule, param) -> None:
        grad_var = param.grad_var
        if grad_var is None:
            return
        grad = grad_var.array
        xp = backend.get_array_module(grad)
        grad_var.array = grad + self.noise_func(xp, grad.shape, grad.dtype, self, rule)
