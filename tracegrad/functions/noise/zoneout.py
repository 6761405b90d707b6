"""``zoneout``: keep each unit's previous value with probability ``ratio``.

The random choice is drawn in the public function (NumPy's global random
state on the CPU, as in Chainer) and enters the node as an input.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.configuration import config
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable, as_variable

__all__ = ['zoneout']


class Zoneout(FunctionNode):
    """``where(keep_x, x, h)`` for a given 0/1 mask ``keep_x`` (of the dtype of ``x``)."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('h', 'x', 'mask'))
        h, x, mask = in_types
        type_check.expect(x.dtype.kind == 'f', h.dtype == x.dtype, h.shape == x.shape,
                          mask.dtype == x.dtype, mask.shape == x.shape)

    def forward(self, inputs):
        h, x, mask = inputs
        self.keep_h = 1 - mask
        self.keep_x = mask
        return h * self.keep_h + x * self.keep_x,

    def backward(self, indexes, grad_outputs):
        gy, = grad_outputs
        return tuple(gy * self.keep_h if i == 0 else gy * self.keep_x if i == 1 else None
                     for i in indexes)


def zoneout(h, x, ratio=.5, **kwargs) -> Variable:
    """zoneout(h, x, ratio=.5)

    Zoneout: each element of the output is the previous value ``h`` with
    probability ``ratio``, else the new value ``x``. Outside training
    (``config.train`` False) it returns ``x``.

    Args:
        h (Variable or array): the previous values.
        x (Variable or array): the new values, of the shape and dtype of ``h``.
        ratio (float): the probability of keeping ``h``, in ``[0, 1]``.

    Returns:
        ~tracegrad.Variable: the mixed values.

    See Krueger et al., `Zoneout: Regularizing RNNs by Randomly Preserving
    Hidden Activations <https://arxiv.org/abs/1606.01305>`_.
    """
    if kwargs:
        if 'train' in kwargs:
            raise ValueError("zoneout: the train argument is not supported anymore; use "
                             "tracegrad.using_config('train', ...)")
        raise TypeError(f'zoneout() got unexpected keyword argument(s) '
                        f'{", ".join(sorted(kwargs))}')
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f'zoneout: ratio must be in the range [0, 1], got {ratio}')
    if not config.train:
        return as_variable(x)
    xp = get_array_module(x)
    keep_x = xp.random.rand(*x.shape) >= ratio
    return Zoneout().apply((h, x, keep_x.astype(x.dtype)))[0]
