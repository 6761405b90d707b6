"""Randomized leaky ReLU: ``rrelu``.

As for dropout, the random slopes are drawn in the public function (NumPy's
global random state on the CPU, as in Chainer) and enter the node as an input,
so a compiled graph takes the draw as an input too.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.configuration import config
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['rrelu']


class RReLU(FunctionNode):
    """``where(x >= 0, x, r * x)`` for a given slope array ``r``."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'r'))
        x, r = in_types
        type_check.expect(x.dtype.kind == 'f', r.dtype == x.dtype, r.shape == x.shape)

    def forward(self, inputs):
        x, r = inputs
        xp = get_array_module(x)
        # the slope of each element, kept for backward (and for its own backward)
        self.slope = xp.where(x >= 0, x.dtype.type(1), r)
        return x * self.slope,

    def backward(self, indexes, grad_outputs):
        # gy * slope is linear in gy, so its gradient is again a product with slope
        return tuple(grad_outputs[0] * self.slope if i == 0 else None for i in indexes)


def rrelu(x, l=1. / 8, u=1. / 3, **kwargs):
    """rrelu(x, l=1. / 8, u=1. / 3, *, r=None, return_r=False)

    Randomized leaky ReLU: ``f(x) = max(x, r x)`` with a slope ``r`` per
    element drawn from the uniform distribution on ``[l, u)`` in training.
    Outside training (``config.train`` False) every slope is ``(l + u) / 2``.

    Args:
        x (Variable or array): float input of any shape.
        l (float): lower bound of the slopes, in ``[0, 1)``.
        u (float): upper bound of the slopes, in ``[0, 1)`` and above ``l``.
        r (array or None): slopes to use instead of random ones in training
            (then ``l`` and ``u`` are not used); same shape, dtype and device
            as ``x``.
        return_r (bool): also return the slopes used, to reuse them later.

    Returns:
        ~tracegrad.Variable, or ``(Variable, r)`` with ``return_r=True``.

    See Xu et al., https://arxiv.org/abs/1505.00853 (``r`` is their ``a``).

    >>> x = np.array([[-1, 0], [2, -3], [-2, 1]], np.float32)
    >>> x
    array([[-1.,  0.],
           [ 2., -3.],
           [-2.,  1.]], dtype=float32)
    >>> F.rrelu(x).array # doctest: +SKIP
    array([[-0.24850948,  0.        ],
           [ 2.        , -0.50844127],
           [-0.598535  ,  1.        ]], dtype=float32)
    """
    r = None
    return_r = False
    if kwargs:
        if 'train' in kwargs:
            raise ValueError("rrelu: the train argument is not supported anymore; use "
                             "tracegrad.using_config('train', ...)")
        unknown = set(kwargs) - {'r', 'return_r'}
        if unknown:
            raise TypeError(f'rrelu() got unexpected keyword argument(s) '
                            f'{", ".join(sorted(unknown))}')
        r = kwargs.get('r')
        return_r = kwargs.get('return_r', False)
    if not 0.0 <= l < 1.0:
        raise ValueError(f'rrelu: l must be in the range [0, 1), got {l}')
    if not 0.0 <= u < 1.0:
        raise ValueError(f'rrelu: u must be in the range [0, 1), got {u}')
    if not l < u:
        raise ValueError(f'rrelu: l must be less than u, got l={l}, u={u}')
    if isinstance(r, Variable):
        r = r.array
    xp = get_array_module(x)
    if not config.train:
        r = xp.full(x.shape, (l + u) / 2, dtype=x.dtype)
    elif r is None:
        r = xp.random.uniform(l, u, x.shape).astype(x.dtype, copy=False)
    out = RReLU().apply((x, r))[0]
    if return_r:
        return out, r
    return out
