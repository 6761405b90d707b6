"""Adam and its variants: AdamW, AMSGrad, AdaBound, AMSBound."""
from __future__ import annotations

import warnings

import numpy

from tracegrad import backend, optimizer
from tracegrad.optimizer import check_eps, scalar_like

_default_hyperparam = optimizer.Hyperparameter(
    alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8, eta=1.0, weight_decay_rate=0,
    amsgrad=False, adabound=False, final_lr=0.1, gamma=1e-3)


def _learning_rate(hp, t, xp):
    """The bias-corrected step size ``alpha * sqrt(1 - beta2**t) / (1 - beta1**t)``.

    Written with arithmetic and ``xp`` so that ``t`` may be a traced 0-d array.
    """
    return hp.alpha * xp.sqrt(1 - hp.beta2 ** t) / (1 - hp.beta1 ** t)


def _check_started(t, what: str) -> None:
    if t == 0:
        raise RuntimeError(f"Can't determine the {what} of the Adam optimizer because the "
                           f"update steps have not been started.")


def _compute_dtype(dtype):
    # float16 parameters are updated with float32 arithmetic (eps would underflow).
    return numpy.dtype(numpy.float32) if dtype == numpy.float16 else dtype


class AdamRule(optimizer.UpdateRule):
    """Update rule of Adam, with AdamW's decoupled weight decay and the
    AMSGrad and AdaBound variants::

        m += (1 - beta1) * (grad - m)
        v += (1 - beta2) * (grad**2 - v)
        vhat = max(vhat, v) if amsgrad else v
        step = alpha_t / (sqrt(vhat) + eps)       # clipped to [lower, upper] by AdaBound
        param -= eta * (step * m + weight_decay_rate * param)

    where ``alpha_t = alpha * sqrt(1 - beta2**t) / (1 - beta1**t)``.

    Args:
        parent_hyperparam: the Hyperparameter to fall back to.
        alpha (float): step size.
        beta1 (float): decay rate of the first moment.
        beta2 (float): decay rate of the second moment.
        eps (float): small value for numerical stability.
        eta (float): schedule multiplier (e.g. for warm restarts).
        weight_decay_rate (float): decoupled weight decay rate (AdamW).
        amsgrad (bool): use AMSGrad's running maximum of ``v``.
        adabound (bool): clip the step to AdaBound's bounds.
        final_lr (float): the SGD learning rate AdaBound's bounds converge to.
        gamma (float): how fast AdaBound's bounds converge.
    """

    is_elementwise = True

    def __init__(self, parent_hyperparam=None, alpha=None, beta1=None, beta2=None, eps=None,
                 eta=None, weight_decay_rate=None, amsgrad=None, adabound=None, final_lr=None,
                 gamma=None):
        super().__init__(parent_hyperparam or _default_hyperparam)
        self._override_hyperparams(
            alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta,
            weight_decay_rate=weight_decay_rate, amsgrad=amsgrad, adabound=adabound,
            final_lr=final_lr, gamma=gamma)
        # AdaBound scales final_lr by alpha / initial_alpha, so that schedules
        # that change alpha (e.g. ExponentialShift) move the bounds too.
        self.initial_alpha = self.hyperparam.alpha

    def init_state(self, param) -> None:
        xp = param.xp
        self.state['m'] = xp.zeros_like(param.array)
        self.state['v'] = xp.zeros_like(param.array)
        if self.hyperparam.amsgrad:
            self.state['vhat'] = xp.zeros_like(param.array)

    def update_core(self, param) -> None:
        grad = param.grad
        if grad is None:
            return
        xp = backend.get_array_module(param.array)
        hp, state = self.hyperparam, self.state
        dtype = _compute_dtype(param.dtype)
        check_eps('Adam', hp.eps, dtype)
        if grad.dtype != dtype:
            grad = grad.astype(dtype)

        state['m'] += scalar_like(1 - hp.beta1, dtype) * (grad - state['m'])
        state['v'] += scalar_like(1 - hp.beta2, dtype) * (grad * grad - state['v'])
        if hp.amsgrad:
            state['vhat'] = xp.maximum(state['vhat'], state['v'])
            vhat = state['vhat']
        else:
            vhat = state['v']
        alpha_t = scalar_like(_learning_rate(hp, self.t, xp), dtype)
        if vhat.dtype != dtype:
            vhat = vhat.astype(dtype)
        step = alpha_t / (xp.sqrt(vhat) + scalar_like(hp.eps, dtype))
        if hp.adabound:
            lower, upper = self._bounds()
            step = xp.clip(step, scalar_like(lower, dtype), scalar_like(upper, dtype))
        param.array -= scalar_like(hp.eta, dtype) * (
            step * state['m'] + scalar_like(hp.weight_decay_rate, dtype) * param.array)

    def _bounds(self):
        hp, t = self.hyperparam, self.t
        final_lr = hp.final_lr * hp.alpha / self.initial_alpha
        return final_lr * (1 - 1 / (hp.gamma * t + 1)), final_lr * (1 + 1 / (hp.gamma * t))

    @property
    def alpha_t(self):
        """The bias-corrected step size of the current step ``t``."""
        _check_started(self.t, 'learning rate')
        return _learning_rate(self.hyperparam, self.t, numpy)

    @property
    def lr(self):
        warnings.warn('AdamRule.lr has been renamed to AdamRule.alpha_t.',
                      DeprecationWarning, stacklevel=2)
        return self.alpha_t

    @property
    def bounds(self):
        """AdaBound's ``(lower, upper)`` bounds of the step at step ``t``."""
        _check_started(self.t, 'bounds')
        return self._bounds()


class Adam(optimizer.GradientMethod):
    """Adam (https://arxiv.org/abs/1412.6980v8) with decoupled weight decay
    (AdamW, https://openreview.net/forum?id=rk6qdGgCZ) and the AMSGrad
    (https://openreview.net/forum?id=ryQu7f-RZ) and AdaBound
    (https://openreview.net/forum?id=Bkg3g2R9FX) variants.

    With the defaults ``eta=1`` and ``weight_decay_rate=0`` this is plain Adam.

    Args:
        alpha (float): step size.
        beta1 (float): decay rate of the first moment.
        beta2 (float): decay rate of the second moment.
        eps (float): small value for numerical stability.
        eta (float): schedule multiplier (e.g. for warm restarts).
        weight_decay_rate (float): decoupled weight decay rate.
        amsgrad (bool): use AMSGrad.
        adabound (bool): use AdaBound.
        final_lr (float): the SGD learning rate AdaBound's bounds converge to.
        gamma (float): how fast AdaBound's bounds converge.

    >>> opt = optimizers.Adam().setup(L.Linear(2, 1))
    >>> opt.alpha
    0.001
    """

    def __init__(self, alpha=_default_hyperparam.alpha, beta1=_default_hyperparam.beta1,
                 beta2=_default_hyperparam.beta2, eps=_default_hyperparam.eps,
                 eta=_default_hyperparam.eta,
                 weight_decay_rate=_default_hyperparam.weight_decay_rate,
                 amsgrad=_default_hyperparam.amsgrad, adabound=_default_hyperparam.adabound,
                 final_lr=_default_hyperparam.final_lr, gamma=_default_hyperparam.gamma):
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta,
                         weight_decay_rate=weight_decay_rate, amsgrad=amsgrad,
                         adabound=adabound, final_lr=final_lr, gamma=gamma)

    alpha = optimizer.HyperparameterProxy('alpha')
    beta1 = optimizer.HyperparameterProxy('beta1')
    beta2 = optimizer.HyperparameterProxy('beta2')
    eps = optimizer.HyperparameterProxy('eps')
    eta = optimizer.HyperparameterProxy('eta')
    weight_decay_rate = optimizer.HyperparameterProxy('weight_decay_rate')
    amsgrad = optimizer.HyperparameterProxy('amsgrad')
    adabound = optimizer.HyperparameterProxy('adabound')
    final_lr = optimizer.HyperparameterProxy('final_lr')
    gamma = optimizer.HyperparameterProxy('gamma')

    def create_update_rule(self) -> AdamRule:
        return AdamRule(self.hyperparam)

    @property
    def alpha_t(self):
        """The bias-corrected step size at the optimizer's step ``t``."""
        _check_started(self.t, 'learning rate')
        return _learning_rate(self.hyperparam, self.t, numpy)

    @property
    def lr(self):
        warnings.warn('Adam.lr has been renamed to Adam.alpha_t.', DeprecationWarning,
                      stacklevel=2)
        return self.alpha_t


class AdamW(Adam):
    """Adam with decoupled weight decay (a special case of :class:`Adam`).

    Args:
        alpha, beta1, beta2, eps, eta, weight_decay_rate: as for :class:`Adam`.
    """

    def __init__(self, alpha=_default_hyperparam.alpha, beta1=_default_hyperparam.beta1,
                 beta2=_default_hyperparam.beta2, eps=_default_hyperparam.eps,
                 eta=_default_hyperparam.eta,
                 weight_decay_rate=_default_hyperparam.weight_decay_rate):
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta,
                         weight_decay_rate=weight_decay_rate)


class AMSGrad(Adam):
    """AMSGrad (a special case of :class:`Adam` with ``amsgrad=True``).

    Args:
        alpha, beta1, beta2, eps, eta: as for :class:`Adam`.
    """

    def __init__(self, alpha=_default_hyperparam.alpha, beta1=_default_hyperparam.beta1,
                 beta2=_default_hyperparam.beta2, eps=_default_hyperparam.eps,
                 eta=_default_hyperparam.eta):
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta, amsgrad=True)


class AdaBound(Adam):
    """AdaBound (a special case of :class:`Adam` with ``adabound=True``).

    Args:
        alpha, beta1, beta2, final_lr, gamma, eps, eta: as for :class:`Adam`.
    """

    def __init__(self, alpha=_default_hyperparam.alpha, beta1=_default_hyperparam.beta1,
                 beta2=_default_hyperparam.beta2, final_lr=_default_hyperparam.final_lr,
                 gamma=_default_hyperparam.gamma, eps=_default_hyperparam.eps,
                 eta=_default_hyperparam.eta):
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta,
                         amsgrad=False, adabound=True, final_lr=final_lr, gamma=gamma)


class AMSBound(Adam):
    """AMSBound (a special case of :class:`Adam` with ``amsgrad=True, adabound=True``).

    Args:
        alpha, beta1, beta2, final_lr, gamma, eps, eta: as for :class:`Adam`.
    """

    def __init__(self, alpha=_default_hyperparam.alpha, beta1=_default_hyperparam.beta1,
                 beta2=_default_hyperparam.beta2, final_lr=_default_hyperparam.final_lr,
                 gamma=_default_hyperparam.gamma, eps=_default_hyperparam.eps,
                 eta=_default_hyperparam.eta):
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta,
                         amsgrad=True, adabound=True, final_lr=final_lr, gamma=gamma)
