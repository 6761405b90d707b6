"""RMSprop (Tieleman and Hinton, 2012)."""
from __future__ import annotations

from tracegrad import backend, optimizer
from tracegrad.optimizer import check_eps, scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=0.01, alpha=0.99, eps=1e-8,
                                               eps_inside_sqrt=False)


class RMSpropRule(optimizer.UpdateRule):
    """Update rule of RMSprop::

        ms = alpha * ms + (1 - alpha) * grad**2
        param -= lr * grad / (sqrt(ms) + eps)        # or sqrt(ms + eps)

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        lr (float): learning rate.
        alpha (float): decay rate of the mean square.
        eps (float): small value for numerical stability.
        eps_inside_sqrt (bool): divide by ``sqrt(ms + eps)`` instead of
            ``sqrt(ms) + eps`` (as some other frameworks do).
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, lr=None, alpha=None, eps=None,
                 eps_inside_sqrt=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside_sqrt)

    def init_state(self, param) -> None:
        self.state['ms'] = param.xp.zeros_like(param.array)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        xp = backend.get_array_module(param.array)
        hp, dtype, state = self.hyperparam, param.dtype, self.state
        check_eps('RMSprop', hp.eps, dtype)
        eps = scalar_like(hp.eps, dtype)
        state['ms'] *= scalar_like(hp.alpha, dtype)
        state['ms'] += scalar_like(1 - hp.alpha, dtype) * grad * grad
        if hp.eps_inside_sqrt:
            denom = xp.sqrt(state['ms'] + eps)
        else:
            denom = xp.sqrt(state['ms']) + eps
        param.array -= scalar_like(hp.lr, dtype) * grad / denom


class RMSprop(optimizer.GradientMethod):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    Args:
        lr (float): learning rate.
        alpha (float): decay rate of the mean square.
        eps (float): small value for numerical stability.
        eps_inside_sqrt (bool): divide by ``sqrt(ms + eps)`` instead of
            ``sqrt(ms) + eps``.
    """

    def __init__(self, lr=_default_hyperparam.lr, alpha=_default_hyperparam.alpha,
                 eps=_default_hyperparam.eps,
                 eps_inside_sqrt=_default_hyperparam.eps_inside_sqrt):
        super().__init__(lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside_sqrt)

    lr = optimizer.HyperparameterProxy('lr')
    alpha = optimizer.HyperparameterProxy('alpha')
    eps = optimizer.HyperparameterProxy('eps')
    eps_inside_sqrt = optimizer.HyperparameterProxy('eps_inside_sqrt')

    def create_update_rule(self) -> RMSpropRule:
        return RMSpropRule(self.hyperparam)
