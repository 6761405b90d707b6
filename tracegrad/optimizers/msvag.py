"""M-SVAG: momentum with stochastic variance-adapted gradient scaling."""
from __future__ import annotations

from tracegrad import backend, optimizer
from tracegrad.optimizer import scalar_like

_default_hyperparam = optimizer.Hyperparameter(lr=0.1, beta=0.9, eta=1.0, weight_decay_rate=0)


class MSVAGRule(optimizer.UpdateRule):
    """Update rule of M-SVAG (Balles and Hennig, *Dissecting Adam: The Sign, Magnitude
    and Variance of Stochastic Gradients*, https://arxiv.org/abs/1705.07774), with
    decoupled weight decay as in AdamW::

        m += (1 - beta) * (grad - m);  v += (1 - beta) * (grad**2 - v)
        mt = m / (1 - beta**t);        vt = v / (1 - beta**t)
        rho = min((1 - beta)**2 (1 - beta**2t) / ((1 - beta**t)**2 (1 - beta**2)), 0.9999)
        s = (vt - mt**2) / (1 - rho)
        factor = clip(mt**2 / (mt**2 + rho * s), 0, 1)    (0 where that is 0 / 0)
        param -= eta * (lr * mt * factor + weight_decay_rate * param)

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        lr (float): learning rate.
        beta (float): decay rate of both moments.
        eta (float): schedule multiplier (e.g. for warm restarts).
        weight_decay_rate (float): decoupled weight decay rate.
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, lr=None, beta=None, eta=None,
                 weight_decay_rate=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(lr=lr, beta=beta, eta=eta,
                                   weight_decay_rate=weight_decay_rate)

    def init_state(self, param) -> None:
        xp = param.xp
        self.state['m'] = xp.zeros_like(param.array)
        self.state['v'] = xp.zeros_like(param.array)

    @property
    def beta_power(self):
        """``beta ** t`` of the next update (Chainer keeps it as a running product)."""
        return self.hyperparam.beta ** (self.t + 1)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        xp = backend.get_array_module(param.array)
        hp, dtype, state = self.hyperparam, param.dtype, self.state
        # Arithmetic on the step count (not a running product), so that a traced step
        # counter gives the same numbers in a compiled step.
        beta_power = hp.beta ** self.t
        rho = ((1 - hp.beta) ** 2 * (1 - beta_power ** 2)
               / ((1 - beta_power) ** 2 * (1 - hp.beta ** 2)))
        rho = scalar_like(xp.minimum(rho, 0.9999), dtype)
        one_minus_beta = scalar_like(1 - hp.beta, dtype)
        state['m'] += one_minus_beta * (grad - state['m'])
        state['v'] += one_minus_beta * (grad * grad - state['v'])
        correction = scalar_like(1 - beta_power, dtype)
        mt = state['m'] / correction
        vt = state['v'] / correction
        mt2 = mt * mt
        s = (vt - mt2) / (1 - rho)
        denominator = mt2 + rho * s
        empty = denominator == 0
        factor = xp.clip(mt2 / xp.where(empty, 1, denominator), 0, 1)
        factor = xp.where(empty, 0, factor).astype(dtype)
        param.array -= scalar_like(hp.eta, dtype) * (
            scalar_like(hp.lr, dtype) * mt * factor
            + scalar_like(hp.weight_decay_rate, dtype) * param.array)


class MSVAG(optimizer.GradientMethod):
    """M-SVAG optimizer (https://arxiv.org/abs/1705.07774), with decoupled weight decay.

    Args:
        lr (float): learning rate.
        beta (float): decay rate of the first and second moments.
        eta (float): schedule multiplier (e.g. for warm restarts).
        weight_decay_rate (float): decoupled weight decay rate.

    >>> opt = optimizers.MSVAG().setup(L.Linear(2, 1))
    >>> opt.lr, opt.beta
    (0.1, 0.9)
    """

    def __init__(self, lr=_default_hyperparam.lr, beta=_default_hyperparam.beta,
                 eta=_default_hyperparam.eta,
                 weight_decay_rate=_default_hyperparam.weight_decay_rate):
        super().__init__(lr=lr, beta=beta, eta=eta, weight_decay_rate=weight_decay_rate)

    lr = optimizer.HyperparameterProxy('lr')
    beta = optimizer.HyperparameterProxy('beta')
    eta = optimizer.HyperparameterProxy('eta')
    weight_decay_rate = optimizer.HyperparameterProxy('weight_decay_rate')

    def create_update_rule(self) -> MSVAGRule:
        return MSVAGRule(self.hyperparam)
