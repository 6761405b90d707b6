"""Softmax cross entropy: the loss of every classifier step.

The default path is one fused node: forward computes a stable log-softmax and
gathers the target entries; backward is ``(softmax - onehot(t)) * gy`` scaled by
the normalization, computed by :class:`SoftmaxCrossEntropyGrad`. With
``enable_double_backprop=True`` the loss is composed of differentiable functions
instead, so it can be differentiated twice.
"""
from __future__ import annotations

import numpy

from tracegrad import backend
from tracegrad.configuration import config
from tracegrad.function_node import FunctionNode
from tracegrad.functions.loss._checks import check_labels, check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['softmax_cross_entropy']

_NAME = 'softmax_cross_entropy'
_KL_EPS = 1e-7  # keeps log(t) finite where a soft target is 0


def _reduction_dtype(dtype):
    """Sums of float16 losses are taken in float32; other dtypes keep their own."""
    return numpy.dtype(numpy.float32) if dtype == numpy.float16 else dtype


def _check_class_weight(class_weight) -> None:
    if class_weight is None:
        return
    if isinstance(class_weight, Variable):
        raise ValueError(  # noqa: TRY004 - Chainer raises ValueError here
            f'{_NAME}: class_weight must be a numpy.ndarray or cupy.ndarray, '
            f'not a Variable')
    if class_weight.ndim != 1:
        raise ValueError(f'{_NAME}: class_weight must be 1-dimensional, '
                         f'got shape {class_weight.shape}')
    if class_weight.dtype.kind != 'f':
        raise ValueError(f"{_NAME}: class_weight must have a float dtype (kind 'f'), "
                         f'got {class_weight.dtype}')


def _class_axis_shape(ndim: int, n: int) -> tuple:
    """Shape that puts ``n`` values on axis 1 of an ``ndim``-dimensional array."""
    return (1, n) + (1,) * (ndim - 2)


def _label_mask(xp, x, t):
    """Boolean array of x's shape, True where the class index equals the label."""
    classes = xp.arange(x.shape[1], dtype=t.dtype).reshape(_class_axis_shape(x.ndim, x.shape[1]))
    return classes == t[:, None]


def _label_weights(xp, t, ignore_label, class_weight, dtype):
    """Per-label weight: 0 for ignored labels, ``class_weight[t]`` (or 1) otherwise.

    Also returns the labels with ignored entries replaced by 0 (safe to gather with).
    """
    valid = t != ignore_label
    t_safe = xp.where(valid, t, 0)
    weight = valid.astype(dtype)
    if class_weight is not None:
        weight = weight * xp.take(class_weight.astype(dtype, copy=False), t_safe)
    return t_safe, weight


class SoftmaxCrossEntropy(FunctionNode):
    """Softmax over axis 1 followed by the cross entropy with integer or soft targets."""

    label = _NAME
    _t_safe = _weight = None  # hard labels: set in forward for the gradient node

    def __init__(self, normalize=True, cache_score=True, class_weight=None, ignore_label=-1,
                 reduce='mean', soft_target_loss='cross-entropy'):
        self.normalize = normalize
        self.cache_score = cache_score
        self.class_weight = class_weight
        self.ignore_label = ignore_label
        self.reduce = reduce
        self.soft_target_loss = soft_target_loss

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 't'))
        x_type, t_type = in_types
        if t_type.dtype.eval().kind == 'i':
            type_check.expect(
                x_type.dtype.kind == 'f',
                x_type.ndim >= 2,
                t_type.ndim == x_type.ndim - 1,
                x_type.shape[0] == t_type.shape[0],
                x_type.shape[2:] == t_type.shape[1:],
            )
            if self.class_weight is not None:
                type_check.expect(x_type.shape[1] == self.class_weight.shape[0])
        else:  # soft targets: a distribution over classes per sample
            type_check.expect(
                x_type.dtype.kind == 'f',
                t_type.dtype.kind == 'f',
                x_type.ndim >= 2,
                x_type.shape == t_type.shape,
            )

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, t = inputs
        xp = backend.get_array_module(x)
        self.soft_target = t.dtype.kind == 'f'
        # Every label a class index (the usual case): no ignore mask and no weights,
        # which saves a handful of small array ops on every step. Only for concrete
        # arrays of one kind: the gradient then subtracts at the labels in place.
        all_counted = (not self.soft_target
                       and check_labels(_NAME, x.shape[1], t, self.ignore_label)
                       and self.class_weight is None and type(x) is type(t))

        shifted = x - x.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        log_z = xp.log(sum_exp)
        if self.cache_score:
            exp /= sum_exp  # exp is not used again: the softmax takes its place
            self.y = exp
        else:
            self.y = None

        reduc_dtype = _reduction_dtype(x.dtype)
        if self.soft_target:
            log_y = shifted - log_z
            if self.soft_target_loss == 'kl-divergence':
                loss = (t * (xp.log(t + x.dtype.type(_KL_EPS)) - log_y)).sum(axis=1)
            else:
                loss = -(t * log_y).sum(axis=1)
            count = reduc_dtype.type(max(x.size // max(x.shape[1], 1), 1))
        else:
            if all_counted:
                t_safe, weight = t, None
            else:
                t_safe, weight = _label_weights(xp, t, self.ignore_label, self.class_weight,
                                                x.dtype)
            self._t_safe, self._weight = t_safe, weight  # reused by the gradient
            # -log_softmax at the labels only: gather first, then subtract from log_z
            if x.ndim == 2:  # index pairs: much cheaper than take_along_axis in NumPy
                loss = log_z[:, 0] - shifted[xp.arange(len(t_safe)), t_safe]
            else:
                loss = (log_z - xp.take_along_axis(shifted, t_safe[:, None], axis=1)
                        ).reshape(t.shape)
            if weight is not None:
                loss = loss * weight
            if not self.normalize:
                count = reduc_dtype.type(max(len(x), 1))
            elif weight is None:
                count = reduc_dtype.type(max(t.size, 1))
            else:
                # without class weights, ``weight`` is the 0/1 mask of the counted labels
                valid = weight if self.class_weight is None else t != self.ignore_label
                count = xp.maximum(valid.sum(dtype=reduc_dtype), reduc_dtype.type(1))

        if self.reduce == 'no':
            self.coeff = None
            return loss,
        self.coeff = reduc_dtype.type(1) / count
        total = loss.sum(dtype=reduc_dtype) * self.coeff
        return xp.asarray(total).astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        x, t = self.get_retained_inputs()
        gx, = SoftmaxCrossEntropyGrad(self, t.array).apply((x, grad_outputs[0]))
        return gx, None


class SoftmaxCrossEntropyGrad(FunctionNode):
    """``(softmax(x) - target) * gy``, scaled as the forward's reduction was."""

    label = 'softmax_cross_entropy_grad'

    def __init__(self, forward_node: SoftmaxCrossEntropy, t):
        self.t = t
        self.t_safe = forward_node._t_safe
        self.weight = forward_node._weight
        self.y = forward_node.y
        self.coeff = forward_node.coeff
        self.soft_target = forward_node.soft_target

    def forward(self, inputs):
        x, gloss = inputs
        xp = backend.get_array_module(x)
        t = self.t
        y = self.y
        if y is None:
            exp = xp.exp(x - x.max(axis=1, keepdims=True))
            y = exp / exp.sum(axis=1, keepdims=True)

        if self.coeff is None:  # reduce='no': one upstream gradient per sample
            scale = gloss[:, None]
        else:
            scale = (gloss * self.coeff).astype(x.dtype, copy=False)
        if self.soft_target:
            return ((y - t) * scale).astype(x.dtype, copy=False),
        if self.weight is None and x.ndim == 2:
            # every label counted: scale the softmax, then subtract at the labels in place
            gx = (y * scale).astype(x.dtype, copy=False)
            gx[xp.arange(len(gx)), self.t_safe] -= scale if scale.ndim == 0 else scale[:, 0]
            return gx,
        if self.weight is not None:
            scale = scale * self.weight[:, None]
        gx = (y - _label_mask(xp, x, self.t_safe)) * scale
        return gx.astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        raise RuntimeError(
            f'{_NAME} was called with enable_double_backprop=False, but its gradient is '
            f'being differentiated; pass enable_double_backprop=True to '
            f'F.softmax_cross_entropy to compute higher-order gradients.')


def _double_backprop_softmax_cross_entropy(x, t, normalize, class_weight, ignore_label,
                                           reduce, soft_target_loss):
    """The loss composed of differentiable functions (slower, twice differentiable)."""
    from tracegrad import functions as F

    t = t.array if isinstance(t, Variable) else t
    x_arr = x.array if isinstance(x, Variable) else x
    xp = backend.get_array_module(x_arr)
    if config.type_check:  # the fused node's check: the same errors for bad inputs
        SoftmaxCrossEntropy(class_weight=class_weight)._check_inputs((x_arr, t))
    dtype = x_arr.dtype
    log_y = F.log_softmax(x)
    if t.dtype.kind == 'f':
        loss = -F.sum(log_y * t, axis=1)
        if soft_target_loss == 'kl-divergence':
            loss = loss + (t * xp.log(t + dtype.type(_KL_EPS))).sum(axis=1)
        count = max(x_arr.size // max(x_arr.shape[1], 1), 1)
    else:
        check_labels(_NAME, x_arr.shape[1], t, ignore_label)
        t_safe, weight = _label_weights(xp, t, ignore_label, class_weight, dtype)
        target = _label_mask(xp, x_arr, t_safe) * weight[:, None]
        loss = -F.sum(log_y * target, axis=1)
        if normalize:
            count = xp.maximum((t != ignore_label).sum(), 1)
        else:
            count = max(len(x_arr), 1)
    if reduce == 'no':
        return loss
    return F.sum(loss) * (dtype.type(1) / xp.asarray(count, dtype=dtype))


def softmax_cross_entropy(x, t, normalize=True, cache_score=True, class_weight=None,
                          ignore_label=-1, reduce='mean', enable_double_backprop=False,
                          soft_target_loss='cross-entropy'):
    """Cross entropy between the softmax of ``x`` (over axis 1) and targets ``t``.

    Args:
        x (~tracegrad.Variable or array): unnormalized log probabilities of shape
            ``(N, C)``, or ``(N, C, d1, ...)`` for a softmax at each position.
        t (~tracegrad.Variable or array): integer labels of shape ``(N,)`` (or
            ``(N, d1, ...)``); entries equal to ``ignore_label`` are skipped. A float
            ``t`` of ``x``'s shape is read as soft targets (a distribution per sample).
        normalize (bool): with ``reduce='mean'``, divide by the number of labels that
            are not ignored if True, or by the batch size ``N`` if False.
        cache_score (bool): keep the softmax from forward for backward (faster, more
            memory).
        class_weight (array): weights of shape ``(C,)``; the loss of a sample whose label
            is ``c`` is multiplied by ``class_weight[c]``.
        ignore_label (int): the label value that contributes nothing.
        reduce (str): ``'mean'`` for a scalar, ``'no'`` for the per-sample losses of
            ``t``'s shape (0 where ignored).
        enable_double_backprop (bool): build the loss from differentiable functions so
            that its gradient can be differentiated again.
        soft_target_loss (str): ``'cross-entropy'`` or ``'kl-divergence'``, the loss used
            for soft targets.

    Returns:
        ~tracegrad.Variable: the loss, a scalar for ``reduce='mean'``. It is
        differentiable with respect to ``x`` only.

    .. admonition:: Example

        >>> x = np.array([[-1, 0, 1, 2], [2, 0, 1, -1]]).astype(np.float32)
        >>> x
        array([[-1.,  0.,  1.,  2.],
               [ 2.,  0.,  1., -1.]], dtype=float32)
        >>> t = np.array([3, 0]).astype(np.int32)
        >>> t
        array([3, 0], dtype=int32)
        >>> y = F.softmax_cross_entropy(x, t)
        >>> y  # Chainer shows 0.44018972; the last digits depend on float32 exp
        variable(0.440189...)
        >>> log_softmax = -F.log_softmax(x)
        >>> expected_loss = np.mean([log_softmax[row, column].data \
for row, column in enumerate(t)])
        >>> bool(y.array == expected_loss)
        True
    """
    if soft_target_loss not in ('cross-entropy', 'kl-divergence'):
        raise ValueError(f"{_NAME}: soft_target_loss must be 'cross-entropy' or "
                         f"'kl-divergence', but {soft_target_loss!r} is given")
    check_reduce(_NAME, reduce, ('mean', 'no'))
    _check_class_weight(class_weight)
    if enable_double_backprop:
        return _double_backprop_softmax_cross_entropy(
            x, t, normalize, class_weight, ignore_label, reduce, soft_target_loss)
    return SoftmaxCrossEntropy(normalize, cache_score, class_weight, ignore_label, reduce,
                               soft_target_loss).apply((x, t))[0]
