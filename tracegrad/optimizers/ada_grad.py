"""AdaGrad (Duchi et al., 2011)."""
from __future__ import annotations

from tracegrad import backend, optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=0.001, eps=1e-8)


class AdaGradRule(optimizer.UpdateRule):
    """Update rule of AdaGrad: ``h += grad**2; param -= lr * grad / (sqrt(h) + eps)``.

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        lr (float): learning rate.
        eps (float): small value for numerical stability.
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, lr=None, eps=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(lr=lr, eps=eps)

    def init_state(self, param) -> None:
        self.state['h'] = param.xp.zeros_like(param.array)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        xp = backend.get_array_module(param.array)
        hp, dtype, state = self.hyperparam, param.dtype, self.state
        state['h'] += grad * grad
        param.array -= scalar_like(hp.lr, dtype) * grad / (
            xp.sqrt(state['h']) + scalar_like(hp.eps, dtype))


class AdaGrad(optimizer.GradientMethod):
    """AdaGrad: per-element learning rates from the sum of squared gradients.

    See http://jmlr.org/papers/v12/duchi11a.html.

    Args:
        lr (float): learning rate.
        eps (float): small value for numerical stability.
    """

    def __init__(self, lr=_default_hyperparam.lr, eps=_default_hyperparam.eps):
        super().__init__(lr=lr, eps=eps)

    lr = optimizer.HyperparameterProxy('lr')
    eps = optimizer.HyperparameterProxy('eps')

    def create_update_rule(self) -> AdaGradRule:
        return AdaGradRule(self.hyperparam)
