"""Plain stochastic gradient descent."""
from __future__ import annotations

from tracegrad import optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=0.01)


class SGDRule(optimizer.UpdateRule):
    """Update rule of SGD: ``param -= lr * grad``.

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        lr (float): learning rate.
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, lr=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(lr=lr)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        param.array -= scalar_like(self.hyperparam.lr, param.dtype) * grad


class SGD(optimizer.GradientMethod):
    """Vanilla stochastic gradient descent.

    Args:
        lr (float): learning rate.

    >>> model = L.Linear(2, 1)
    >>> opt = optimizers.SGD(lr=0.1).setup(model)
    >>> opt.lr
    0.1
    """

    def __init__(self, lr=_default_hyperparam.lr):
        super().__init__(lr=lr)

    lr = optimizer.HyperparameterProxy('lr')

    def create_update_rule(self) -> SGDRule:
        return SGDRule(self.hyperparam)
