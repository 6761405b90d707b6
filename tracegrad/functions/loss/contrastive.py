"""Contrastive loss of pairs (siamese networks)."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.functions.loss._checks import check_reduce
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['contrastive']

_NAME = 'contrastive'


class Contrastive(FunctionNode):
    """``(y d**2 + (1 - y) max(margin - d, 0)**2) / 2`` with ``d = |x0 - x1|`` per row."""

    label = _NAME

    def __init__(self, margin, reduce='mean'):
        self.margin = margin
        self.reduce = reduce

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x0', 'x1', 'y'))
        x0_type, x1_type, y_type = in_types
        type_check.expect(
            x0_type.dtype.kind == 'f',
            x0_type.dtype == x1_type.dtype,
            y_type.dtype.kind == 'i',
            x0_type.ndim == 2,
            x0_type.shape == x1_type.shape,
            y_type.ndim == 1,
            y_type.shape[0] == x0_type.shape[0],
            x0_type.shape[0] > 0,
        )

    def forward(self, inputs):
        self.retain_inputs((0, 1, 2))
        x0, x1, y = inputs
        xp = backend.get_array_module(x0)
        dtype = x0.dtype
        diff = x0 - x1
        dist_sq = (diff * diff).sum(axis=1)
        gap = xp.maximum(dtype.type(self.margin) - xp.sqrt(dist_sq), dtype.type(0))
        similar = y.astype(dtype)
        loss = (similar * dist_sq + (1 - similar) * gap * gap) * dtype.type(0.5)
        if self.reduce == 'mean':
            loss = loss.sum() / dtype.type(len(x0))
        return xp.asarray(loss, dtype=dtype),

    def backward(self, indexes, grad_outputs):
        from tracegrad import functions as F

        x0, x1, y = self.get_retained_inputs()
        gy, = grad_outputs
        xp = x0.xp
        dtype = x0.dtype
        n, k = x0.shape
        diff = x0 - x1
        # The distance is kept from 0 (Chainer's eps), so that a pair of equal
        # dissimilar inputs gets a zero gradient rather than 0 / 0.
        eps = 5e-3 if dtype == 'float16' else 1e-7
        dist_sq = F.maximum(F.sum(diff * diff, axis=1), xp.full((n,), eps * eps, dtype))
        gap = F.relu(self.margin - F.sqrt(dist_sq))
        similar = y.array.astype(dtype)[:, None]
        shrink = F.broadcast_to(F.expand_dims(gap * F.rsqrt(dist_sq), 1), (n, k))
        g = diff * similar - diff * shrink * (1 - similar)
        scale = gy / dtype.type(n) if self.reduce == 'mean' else F.expand_dims(gy, 1)
        gx0 = F.broadcast_to(scale, (n, k)) * g
        return gx0, -gx0, None


def contrastive(x0, x1, y, margin=1, reduce='mean') -> Variable:
    """Contrastive loss of pairs of vectors labelled similar (1) or dissimilar (0).

    For the ``n``-th pair, with :math:`d_n = \\| x0_n - x1_n \\|_2`, the loss is

    .. math::
        L_n = \\frac{1}{2} \\left( y_n d_n^2 + (1 - y_n) \\max(margin - d_n, 0)^2 \\right):

    similar pairs are pulled together and dissimilar ones pushed at least
    ``margin`` apart.

    Args:
        x0 (~tracegrad.Variable or array): the first vectors, ``(N, K)``.
        x1 (~tracegrad.Variable or array): the second vectors, of ``x0``'s shape.
        y (~tracegrad.Variable or array): integer labels ``(N,)``, 1 for a similar
            pair and 0 for a dissimilar one.
        margin (float): the distance beyond which dissimilar pairs cost nothing;
            must be positive.
        reduce (str): ``'mean'`` (the mean over pairs) or ``'no'`` (``(N,)``).

    Returns:
        ~tracegrad.Variable: the loss.

    See `Learning a Similarity Metric Discriminatively, with Application to Face
    Verification <http://yann.lecun.com/exdb/publis/pdf/chopra-05.pdf>`_.

    .. admonition:: Example

        >>> x0 = np.array([[-2.0, 3.0, 0.5], [5.0, 2.0, -0.5]]).astype(np.float32)
        >>> x1 = np.array([[-1.0, 3.0, 1.0], [3.5, 0.5, -2.0]]).astype(np.float32)
        >>> y = np.array([1, 0]).astype(np.int32)
        >>> F.contrastive(x0, x1, y)
        variable(0.3125)
        >>> F.contrastive(x0, x1, y, margin=3.0)  # harder penalty
        variable(0.3528857)
        >>> z = F.contrastive(x0, x1, y, reduce='no')
        >>> z.shape
        (2,)
        >>> z.array
        array([0.625, 0.   ], dtype=float32)
    """
    if margin <= 0:
        raise ValueError(f'{_NAME}: margin must be positive, got {margin}')
    check_reduce(_NAME, reduce, ('mean', 'no'))
    return Contrastive(margin, reduce).apply((x0, x1, y))[0]
