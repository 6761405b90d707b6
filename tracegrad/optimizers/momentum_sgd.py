"""Momentum SGD: SGD with a velocity.

Also home of the pieces every velocity method (momentum SGD, Nesterov's accelerated
gradient, corrected momentum SGD) shares: the ``lr``/``momentum`` hyperparameters, a
zero velocity ``v`` per parameter, and the optimizer that makes one rule per parameter.
"""
from __future__ import annotations

from tracegrad import optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=0.01, momentum=0.9)


class _VelocityRule(optimizer.UpdateRule):
    """An update rule with ``lr`` and ``momentum`` and a velocity ``state['v']``."""

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, lr=None, momentum=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(lr=lr, momentum=momentum)

    def init_state(self, param) -> None:
        self.state['v'] = param.xp.zeros_like(param.array)


class MomentumSGDRule(_VelocityRule):
    """Update rule of momentum SGD: ``v = momentum * v - lr * grad; param += v``.

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
        state['v'] -= scalar_like(hp.lr, dtype) * grad
        param.array += state['v']


class _VelocityMethod(optimizer.GradientMethod):
    """A gradient method with ``lr`` and ``momentum``; ``rule_class`` updates each param."""

    rule_class: type[_VelocityRule]

    def __init__(self, lr=_default_hyperparam.lr, momentum=_default_hyperparam.momentum):
        super().__init__(lr=lr, momentum=momentum)

    lr = optimizer.HyperparameterProxy('lr')
    momentum = optimizer.HyperparameterProxy('momentum')

    def create_update_rule(self) -> _VelocityRule:
        return self.rule_class(self.hyperparam)


class MomentumSGD(_VelocityMethod):
    """Momentum SGD (the form ``v <- momentum * v - lr * g``, ``param <- param + v``).

    Args:
        lr (float): learning rate.
        momentum (float): decay rate of the velocity.
    """

    rule_class = MomentumSGDRule
