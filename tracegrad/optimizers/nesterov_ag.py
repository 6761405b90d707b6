"""Nesterov's accelerated gradient."""
from __future__ import annotations

from tracegrad import optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=0.01, momentum=0.9)


class NesterovAGRule(optimizer.UpdateRule):
    """Update rule of Nesterov's accelerated gradient (the reformulation of
    Bengio et al., https://arxiv.org/abs/1212.0901)::

        v = momentum * v - lr * grad
        param += momentum**2 * v - (1 + momentum) * lr * grad

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        lr (float): learning rate.
        momentum (float): decay rate of the velocity.
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, lr=None, momentum=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(lr=lr, momentum=momentum)

    def init_state(self, param) -> None:
        self.state['v'] = param.xp.zeros_like(param.array)

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


class NesterovAG(optimizer.GradientMethod):
    """Nesterov's accelerated gradient.

    Args:
        lr (float): learning rate.
        momentum (float): decay rate of the velocity.
    """

    def __init__(self, lr=_default_hyperparam.lr, momentum=_default_hyperparam.momentum):
        super().__init__(lr=lr, momentum=momentum)

    lr = optimizer.HyperparameterProxy('lr')
    momentum = optimizer.HyperparameterProxy('momentum')

    def create_update_rule(self) -> NesterovAGRule:
        return NesterovAGRule(self.hyperparam)
