"""Decorrelated batch normalization (Huang et al. 2018): ZCA whitening per channel group.

For each of ``groups`` groups of ``C`` channels, with the ``m`` values of every
channel (batch and spatial positions) as columns of a ``C x m`` matrix ``X``,
the output is ``W (X - mean)`` where ``W = Sigma^(-1/2)`` is the inverse square
root of the covariance ``Sigma = Xc Xc^T / m + eps I``. ``W`` comes from the
eigendecomposition ``Sigma = V diag(lam) V^T`` (``xp.linalg.eigh``), which the
compiler has no primitive for: tracing the batch-statistics function raises
CompileError naming ``numpy.linalg.eigh``. The fixed-statistics function is a
plain matrix product and compiles.
"""
from __future__ import annotations

import operator

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable, _is_array

__all__ = ['decorrelated_batch_normalization', 'fixed_decorrelated_batch_normalization']


def _group_axes(ndim: int) -> tuple:
    """The transpose that puts channels first: (1, 0, 2, 3, ...)."""
    return (1, 0) + tuple(range(2, ndim))


def _to_groups(x, groups: int):
    """(b, c, ...) -> (groups, c // groups, m) with m = b * prod(spatial)."""
    c = x.shape[1]
    return x.transpose(_group_axes(x.ndim)).reshape(groups, c // groups, -1)


def _from_groups(y, shape: tuple):
    """Inverse of :func:`_to_groups` for an input of ``shape``."""
    return y.reshape((shape[1], shape[0]) + shape[2:]).transpose(_group_axes(len(shape)))


def _check_x(x_type, groups: int) -> None:
    type_check.expect(x_type.dtype.kind == 'f', x_type.ndim >= 2)
    type_check.expect(x_type.shape[1] % groups == 0)


class DecorrelatedBatchNormalization(FunctionNode):
    """Whiten each group of channels with the statistics of the batch."""

    def __init__(self, groups, eps, running_mean, running_projection, decay):
        self.groups = groups
        self.eps = eps
        self.running_mean = running_mean
        self.running_projection = running_projection
        self.decay = decay

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        _check_x(in_types[0], self.groups)

    def forward(self, inputs):
        x, = inputs
        xp = get_array_module(x)
        xg = _to_groups(x, self.groups)
        n_channels, m = xg.shape[1], xg.shape[2]
        mean = xg.mean(axis=2, keepdims=True)
        xc = xg - mean
        cov = xp.matmul(xc, xc.transpose(0, 2, 1)) / x.dtype.type(m) + \
            x.dtype.type(self.eps) * xp.eye(n_channels, dtype=x.dtype)
        eigvals, eigvecs = xp.linalg.eigh(cov)
        whiten = xp.matmul(eigvecs * (eigvals ** x.dtype.type(-0.5))[:, None, :],
                           eigvecs.transpose(0, 2, 1))
        self._saved = (eigvals, eigvecs, whiten, xc)
        y = _from_groups(xp.matmul(whiten, xc), x.shape)
        decay = self.decay
        if self.running_mean is not None:
            self.running_mean *= decay
            self.running_mean += (1 - decay) * mean[:, :, 0]
        if self.running_projection is not None:
            # Chainer's rule: the whitening matrix scaled by m / (m - 1)
            self.running_projection *= decay
            self.running_projection += (1 - decay) * (m / max(m - 1., 1.)) * whiten
        return y,

    def backward(self, indexes, grad_outputs):
        return DecorrelatedBatchNormalizationGrad(self.groups, *self._saved).apply(grad_outputs)


class DecorrelatedBatchNormalizationGrad(FunctionNode):
    """The gradient of the whitening, from its eigendecomposition (no double backprop).

    With ``G`` the output gradient of a group, ``A = G Xc^T`` is the gradient
    with respect to ``W = f(Sigma)``, ``f(l) = l^(-1/2)``. By the Daleckii-Krein
    formula, the gradient with respect to ``Sigma`` is ``S = V ((V^T A V) o K) V^T``
    with ``K_ij = (f(l_i) - f(l_j)) / (l_i - l_j)``, which for this ``f`` is
    ``-1 / (s_i s_j (s_i + s_j))``, ``s = sqrt(l)`` (its limit ``f'(l_i)`` on the
    diagonal and for equal eigenvalues, so no case needs special handling).
    Then ``gXc = W G + (S + S^T) Xc / m`` and centering subtracts its row means.
    """

    def __init__(self, groups, eigvals, eigvecs, whiten, xc):
        self.groups = groups
        self.eigvals = eigvals
        self.eigvecs = eigvecs
        self.whiten = whiten
        self.xc = xc

    def forward(self, inputs):
        gy, = inputs
        xp = get_array_module(gy)
        g = _to_groups(gy, self.groups)
        xc, v = self.xc, self.eigvecs
        m = xc.shape[2]
        v_t = v.transpose(0, 2, 1)
        a_rot = xp.matmul(xp.matmul(v_t, xp.matmul(g, xc.transpose(0, 2, 1))), v)
        s = xp.sqrt(self.eigvals)
        k = -1 / (s[:, :, None] * s[:, None, :] * (s[:, :, None] + s[:, None, :]))
        grad_sigma = xp.matmul(xp.matmul(v, a_rot * k), v_t)
        g_xc = xp.matmul(self.whiten, g) + \
            xp.matmul(grad_sigma + grad_sigma.transpose(0, 2, 1), xc) / gy.dtype.type(m)
        g_x = g_xc - g_xc.mean(axis=2, keepdims=True)
        return _from_groups(g_x, gy.shape),

    def backward(self, indexes, grad_outputs):
        raise RuntimeError('decorrelated_batch_normalization does not support double '
                           'backpropagation (neither does Chainer)')


class FixedDecorrelatedBatchNormalization(FunctionNode):
    """``projection @ (x - mean)`` per group, with given statistics."""

    def __init__(self, groups: int):
        self.groups = groups

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'mean', 'projection'))
        x_type, mean_type, proj_type = in_types
        _check_x(x_type, self.groups)
        type_check.expect(
            mean_type.dtype == x_type.dtype,
            proj_type.dtype == x_type.dtype,
            mean_type.ndim == 2,
            proj_type.ndim == 3,
            mean_type.shape[0] == self.groups,
            mean_type.shape[1] * self.groups == x_type.shape[1],
            proj_type.shape[0] == self.groups,
            proj_type.shape[1] == mean_type.shape[1],
            proj_type.shape[2] == mean_type.shape[1],
        )

    def forward(self, inputs):
        self.retain_inputs((0, 1, 2))
        x, mean, projection = inputs
        xp = get_array_module(x)
        xc = _to_groups(x, self.groups) - mean[:, :, None]
        return _from_groups(xp.matmul(projection, xc), x.shape),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.array.transpose import transpose
        from tracegrad.functions.math.matmul import matmul
        from tracegrad.functions.math.sum import sum as sum_

        x, mean, projection = self.get_retained_inputs()
        gy, = grad_outputs
        axes = _group_axes(x.ndim)
        shape = (self.groups, x.shape[1] // self.groups, -1)
        g = reshape(transpose(gy, axes), shape)
        ret = []
        if 0 in indexes or 1 in indexes:
            g_xc = matmul(projection, g, transa=True)
        for i in indexes:
            if i == 0:
                back = reshape(g_xc, (x.shape[1], x.shape[0]) + x.shape[2:])
                ret.append(transpose(back, axes))
            elif i == 1:
                ret.append(-sum_(g_xc, axis=2))
            else:
                xc = reshape(transpose(x, axes), shape) - reshape(mean, mean.shape + (1,))
                ret.append(matmul(g, xc, transb=True))
        return tuple(ret)


def _groups(caller: str, groups) -> int:
    if isinstance(groups, bool):
        raise TypeError(f'{caller}: groups must be a positive int, got {groups!r}')
    try:
        groups = operator.index(groups)
    except TypeError:
        raise TypeError(f'{caller}: groups must be a positive int, '
                        f'got {type(groups).__name__}') from None
    if groups < 1:
        raise ValueError(f'{caller}: groups must be a positive int, got {groups}')
    return groups


_OPTIONS = ('groups', 'eps', 'running_mean', 'running_projection', 'decay')


def decorrelated_batch_normalization(x, **kwargs) -> Variable:
    """decorrelated_batch_normalization(x, *, groups=16, eps=2e-5, running_mean=None, running_projection=None, decay=0.9)

    Whiten ``x`` with the statistics of the batch: zero mean, and channels
    decorrelated (identity covariance) within each of ``groups`` groups.

    The channels (axis 1) are split into ``groups`` groups of
    ``C = channels // groups``; each group is centred over the batch and
    spatial axes and multiplied by the inverse square root (ZCA) of its
    ``C x C`` covariance plus ``eps``. Double backpropagation is not
    supported, as in Chainer.

    Args:
        x (Variable or array): input of shape (batch, channels, ...).
        groups (int): the number of channel groups whitened separately.
        eps (float): added to the covariance's diagonal for stability.
        running_mean (array or None): if given, of shape (groups, C),
            updated in place with ``decay`` towards the batch mean.
        running_projection (array or None): if given, of shape
            (groups, C, C), updated in place towards the whitening matrix
            (scaled by ``m / (m - 1)`` as in Chainer).
        decay (float): decay rate of the running averages.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.

    See: `Decorrelated Batch Normalization <https://arxiv.org/abs/1804.08450>`_
    """
    unknown = set(kwargs) - set(_OPTIONS)
    if unknown:
        raise TypeError('decorrelated_batch_normalization got unexpected keyword '
                        f'argument(s): {", ".join(sorted(unknown))}')
    groups = _groups('decorrelated_batch_normalization', kwargs.get('groups', 16))
    running = []
    for name in ('running_mean', 'running_projection'):
        a = kwargs.get(name)
        if isinstance(a, Variable):
            a = a.array
        if a is not None and not _is_array(a):
            raise TypeError(f'decorrelated_batch_normalization: {name} must be an array, '
                            f'got {type(a).__name__}')
        running.append(a)
    if len(x.shape) >= 2 and x.shape[1] % groups == 0:
        n_channels = x.shape[1] // groups
        for a, name, shape in zip(running, ('running_mean', 'running_projection'),
                                  ((groups, n_channels), (groups, n_channels, n_channels))):
            if a is not None and a.shape != shape:
                raise ValueError(f'decorrelated_batch_normalization: {name} must have shape '
                                 f'{shape}, got {a.shape}')
    func = DecorrelatedBatchNormalization(groups, kwargs.get('eps', 2e-5), running[0],
                                          running[1], kwargs.get('decay', 0.9))
    return func.apply((x,))[0]


def fixed_decorrelated_batch_normalization(x, mean, projection, groups=16) -> Variable:
    """Decorrelated batch normalization with given statistics (as used at test time).

    Computes ``projection[i] @ (x_i - mean[i])`` for each group ``i`` of
    channels, where ``x_i`` holds the values of the group's channels over the
    batch and spatial axes.

    Args:
        x (Variable or array): input of shape (batch, channels, ...).
        mean (Variable or array): the mean per group, shape (groups, C).
        projection (Variable or array): the whitening matrices, shape
            (groups, C, C).
        groups (int): the number of channel groups.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.
    """
    groups = _groups('fixed_decorrelated_batch_normalization', groups)
    return FixedDecorrelatedBatchNormalization(groups).apply((x, mean, projection))[0]
