"""Momentum SGD with momentum correction (Goyal et al., 2017)."""
from __future__ import annotations

from tracegrad.optimizer import scalar_like
from tracegrad.optimizers.momentum_sgd import _VelocityMethod, _VelocityRule


class CorrectedMomentumSGDRule(_VelocityRule):
    """Update rule of corrected momentum SGD: ``v = momentum * v - grad; param += lr * v``.

    The velocity does not include the learning rate, so changing ``lr`` during
    training takes effect at once (equation (9) of
    https://arxiv.org/abs/1706.02677).

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
        state['v'] *= scalar_like(hp.momentum, dtype)
        state['v'] -= grad
        param.array += scalar_like(hp.lr, dtype) * state['v']


class CorrectedMomentumSGD(_VelocityMethod):
    """Momentum SGD whose velocity is kept without the learning rate.

    Args:
        lr (float): learning rate.
        momentum (float): decay rate of the velocity.
    """

    rule_class = CorrectedMomentumSGDRule
