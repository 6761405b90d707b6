"""Hinge loss for one-of-many classification."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.functions.loss._checks import check_labels, check_reduce
from tracegrad.utils import type_check

__all__ = ['hinge']


class Hinge(FunctionNode):
    """``max(0, 1 + s * x) ** p`` with ``s = -1`` at the label and ``+1`` elsewhere."""

    label = 'hinge'

    def __init__(self, norm='L1', reduce='mean'):
        self.norm = norm
        self.reduce = reduce

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 't'))
        x_type, t_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            t_type.dtype.kind == 'i',
            x_type.ndim == 2,
            t_type.ndim == 1,
            x_type.shape[0] == t_type.shape[0],
        )

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, t = inputs
        xp = backend.get_array_module(x)
        check_labels('hinge', x.shape[1], t)
        one = x.dtype.type(1)
        is_label = xp.arange(x.shape[1], dtype=t.dtype) == t[:, None]
        self.sign = xp.where(is_label, -one, one)
        margin = one + self.sign * x
        self.active = margin > 0
        loss = xp.maximum(margin, x.dtype.type(0))
        if self.norm == 'L2':
            loss = loss * loss
        if self.reduce == 'mean':
            loss = loss.sum() / x.dtype.type(len(x))
        return xp.asarray(loss),

    def backward(self, indexes, grad_outputs):
        from tracegrad import functions as F

        x, = self.get_retained_inputs()
        gy, = grad_outputs
        if self.reduce == 'mean':
            gy = F.broadcast_to(gy, x.shape) / len(x)
        active = self.active.astype(x.dtype)
        if self.norm == 'L1':
            return gy * (self.sign * active), None
        # d/dx max(0, 1 + s x)**2 = 2 (1 + s x) s = 2 (s + x) where active (s * s == 1)
        return gy * ((x + self.sign) * (2 * active)), None


def hinge(x, t, norm='L1', reduce='mean'):
    """Hinge loss of scores ``x`` for the labels ``t`` (one-of-many classification).

    For each sample ``n`` and class ``k``, the loss is ``max(0, 1 - d * x[n, k]) ** p``
    where ``d`` is 1 if ``t[n] == k`` and -1 otherwise, ``p`` is 1 for ``'L1'`` and 2
    for ``'L2'``.

    Args:
        x (~tracegrad.Variable or array): scores of shape ``(N, K)``.
        t (~tracegrad.Variable or array): integer labels of shape ``(N,)`` in
            ``[0, K)``.
        norm (str): ``'L1'`` or ``'L2'``.
        reduce (str): ``'mean'`` sums over classes and averages over the batch;
            ``'no'`` returns the elementwise losses of shape ``(N, K)``.

    Returns:
        ~tracegrad.Variable: the loss.

    .. admonition:: Example

        Here the batch size ``N`` is 2 and the number of classes ``K`` is 3.

        >>> x = np.array([[-2.0, 3.0, 0.5],
        ...               [5.0, 2.0, -0.5]]).astype(np.float32)
        >>> x
        array([[-2. ,  3. ,  0.5],
               [ 5. ,  2. , -0.5]], dtype=float32)
        >>> t = np.array([1, 0]).astype(np.int32)
        >>> t
        array([1, 0], dtype=int32)
        >>> F.hinge(x, t)
        variable(2.5)
        >>> F.hinge(x, t, reduce='no')
        variable([[0. , 0. , 1.5],
                  [0. , 3. , 0.5]])
        >>> F.hinge(x, t, norm='L2')
        variable(5.75)
    """
    if norm not in ('L1', 'L2'):
        raise NotImplementedError(f"hinge: norm must be 'L1' or 'L2', but {norm!r} is given")
    check_reduce('hinge', reduce, ('mean', 'no'))
    return Hinge(norm, reduce).apply((x, t))[0]
