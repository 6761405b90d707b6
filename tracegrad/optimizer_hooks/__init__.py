"""Optimizer hooks (Chainer's ``chainer.optimizer_hooks``): regularizers and gradient clipping.

Register one with ``optimizer.add_hook(hook)`` or on a single parameter's rule
with ``param.update_rule.add_hook(hook)``. Hooks replace a gradient array
rather than writing into it, because a gradient from backprop may be a
read-only broadcast view.
"""
from tracegrad.optimizer_hooks.gradient_clipping import GradientClipping
from tracegrad.optimizer_hooks.gradient_hard_clipping import GradientHardClipping
from tracegrad.optimizer_hooks.gradient_lars import GradientLARS
from tracegrad.optimizer_hooks.gradient_noise import GradientNoise
from tracegrad.optimizer_hooks.lasso import Lasso
from tracegrad.optimizer_hooks.weight_decay import WeightDecay

__all__ = ['GradientClipping', 'GradientHardClipping', 'GradientLARS', 'GradientNoise',
           'Lasso', 'WeightDecay']
