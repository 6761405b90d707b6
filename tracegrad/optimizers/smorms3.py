"""Simon Funk's SMORMS3."""
from __future__ import annotations

from tracegrad import backend, optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=0.001, eps=1e-16)


class SMORMS3Rule(optimizer.UpdateRule):
    """Update rule of SMORMS3 (http://sifter.org/~simon/journal/20150420.html)::

        r = 1 / (mem + 1)
        g = (1 - r) * g + r * grad
        g2 = (1 - r) * g2 + r * grad**2
        x = g**2 / (g2 + eps)
        param -= grad * min(lr, x) / (sqrt(g2) + eps)
        mem = 1 + mem * (1 - x)

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
        xp = param.xp
        self.state['mem'] = xp.ones_like(param.array)
        self.state['g'] = xp.zeros_like(param.array)
        self.state['g2'] = xp.zeros_like(param.array)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        xp = backend.get_array_module(param.array)
        hp, dtype, state = self.hyperparam, param.dtype, self.state
        eps = scalar_like(hp.eps, dtype)
        r = 1 / (state['mem'] + 1)
        state['g'] += r * (grad - state['g'])
        state['g2'] += r * (grad * grad - state['g2'])
        x = state['g'] * state['g'] / (state['g2'] + eps)
        param.array -= grad * xp.minimum(x, scalar_like(hp.lr, dtype)) / (
            xp.sqrt(state['g2']) + eps)
        state['mem'] *= 1 - x
        state['mem'] += 1


class SMORMS3(optimizer.GradientMethod):
    """Simon Funk's SMORMS3.

    Args:
        lr (float): learning rate.
        eps (float): small value for numerical stability.
    """

    def __init__(self, lr=_default_hyperparam.lr, eps=_default_hyperparam.eps):
        super().__init__(lr=lr, eps=eps)

    lr = optimizer.HyperparameterProxy('lr')
    eps = optimizer.HyperparameterProxy('eps')

    def create_update_rule(self) -> SMORMS3Rule:
        return SMORMS3Rule(self.hyperparam)
