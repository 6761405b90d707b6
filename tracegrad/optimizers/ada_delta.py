"""AdaDelta (Zeiler, 2012)."""
from __future__ import annotations

from tracegrad import backend, optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(rho=0.95, eps=1e-6)


class AdaDeltaRule(optimizer.UpdateRule):
    """Update rule of AdaDelta::

        msg = rho * msg + (1 - rho) * grad**2
        dx = sqrt((msdx + eps) / (msg + eps)) * grad
        msdx = rho * msdx + (1 - rho) * dx**2
        param -= dx

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        rho (float): decay rate of both running averages.
        eps (float): small value for numerical stability.
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, rho=None, eps=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(rho=rho, eps=eps)

    def init_state(self, param) -> None:
        xp = param.xp
        self.state['msg'] = xp.zeros_like(param.array)
        self.state['msdx'] = xp.zeros_like(param.array)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        xp = backend.get_array_module(param.array)
        hp, dtype, state = self.hyperparam, param.dtype, self.state
        rho = scalar_like(hp.rho, dtype)
        one_minus_rho = scalar_like(1 - hp.rho, dtype)
        eps = scalar_like(hp.eps, dtype)
        state['msg'] *= rho
        state['msg'] += one_minus_rho * grad * grad
        dx = xp.sqrt((state['msdx'] + eps) / (state['msg'] + eps)) * grad
        state['msdx'] *= rho
        state['msdx'] += one_minus_rho * dx * dx
        param.array -= dx


class AdaDelta(optimizer.GradientMethod):
    """Zeiler's AdaDelta: step sizes from running averages of squared gradients and steps.

    See http://www.matthewzeiler.com/pubs/googleTR2012/googleTR2012.pdf.

    Args:
        rho (float): decay rate of both running averages.
        eps (float): small value for numerical stability.
    """

    def __init__(self, rho=_default_hyperparam.rho, eps=_default_hyperparam.eps):
        super().__init__(rho=rho, eps=eps)

    rho = optimizer.HyperparameterProxy('rho')
    eps = optimizer.HyperparameterProxy('eps')

    def create_update_rule(self) -> AdaDeltaRule:
        return AdaDeltaRule(self.hyperparam)
