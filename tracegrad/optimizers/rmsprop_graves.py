"""Alex Graves's RMSprop (with momentum and a centred second moment)."""
from __future__ import annotations

from tracegrad import backend, optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=1e-4, alpha=0.95, momentum=0.9, eps=1e-4)


class RMSpropGravesRule(optimizer.UpdateRule):
    """Update rule of Graves's RMSprop (https://arxiv.org/abs/1308.0850)::

        n = alpha * n + (1 - alpha) * grad**2
        g = alpha * g + (1 - alpha) * grad
        delta = momentum * delta - lr * grad / sqrt(n - g**2 + eps)
        param += delta

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        lr (float): learning rate.
        alpha (float): decay rate of the first and second moments of the gradient.
        momentum (float): decay rate of the step.
        eps (float): small value for numerical stability.
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, lr=None, alpha=None, momentum=None, eps=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(lr=lr, alpha=alpha, momentum=momentum, eps=eps)

    def init_state(self, param) -> None:
        xp = param.xp
        for key in ('n', 'g', 'delta'):
            self.state[key] = xp.zeros_like(param.array)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        xp = backend.get_array_module(param.array)
        hp, dtype, state = self.hyperparam, param.dtype, self.state
        alpha = scalar_like(hp.alpha, dtype)
        one_minus_alpha = scalar_like(1 - hp.alpha, dtype)
        state['n'] *= alpha
        state['n'] += one_minus_alpha * grad * grad
        state['g'] *= alpha
        state['g'] += one_minus_alpha * grad
        state['delta'] *= scalar_like(hp.momentum, dtype)
        state['delta'] -= scalar_like(hp.lr, dtype) * grad / xp.sqrt(
            state['n'] - state['g'] * state['g'] + scalar_like(hp.eps, dtype))
        param.array += state['delta']


class RMSpropGraves(optimizer.GradientMethod):
    """Alex Graves's RMSprop.

    Args:
        lr (float): learning rate.
        alpha (float): decay rate of the first and second moments of the gradient.
        momentum (float): decay rate of the step.
        eps (float): small value for numerical stability.
    """

    def __init__(self, lr=_default_hyperparam.lr, alpha=_default_hyperparam.alpha,
                 momentum=_default_hyperparam.momentum, eps=_default_hyperparam.eps):
        super().__init__(lr=lr, alpha=alpha, momentum=momentum, eps=eps)

    lr = optimizer.HyperparameterProxy('lr')
    alpha = optimizer.HyperparameterProxy('alpha')
    momentum = optimizer.HyperparameterProxy('momentum')
    eps = optimizer.HyperparameterProxy('eps')

    def create_update_rule(self) -> RMSpropGravesRule:
        return RMSpropGravesRule(self.hyperparam)
