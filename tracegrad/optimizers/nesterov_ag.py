"""Nesterov's accelerated gradient."""
from __future__ import annotations

from tracegrad.optimizer import scalar_like
from tracegrad.optimizers.momentum_sgd import _VelocityMethod, _VelocityRule


class NesterovAGRule(_VelocityRule):
    """Update rule of Nesterov's accelerated gradient (the reformulation of
    Bengio et al., https://arxiv.org/abs/1212.0901)::

        v = momentum * v - lr * grad
        param += momentum**2 * v - (1 + momentum) * lr * grad

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        lr (float): learning rate.
        momentum (float): decay rate of the velocity.
    """

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        hp, dtype, state = self.hyperparam, param.dtype, self.state
        lr, momentum = hp.lr, hp.momentum
        state['v'] *= scalar_like(momentum, dtype)
        state['v'] -= scalar_like(lr, dtype) * grad
        param.array += scalar_like(momentum * momentum, dtype) * state['v']
        param.array -= scalar_like((1 + momentum) * lr, dtype) * grad


class NesterovAG(_VelocityMethod):
    """Nesterov's accelerated gradient.

    Args:
        lr (float): learning rate.
        momentum (float): decay rate of the velocity.
    """

    rule_class = NesterovAGRule
