"""Dropout: ``dropout``.

The random mask is drawn in the public function, not in ``forward``, and enters
the node as a second (non-differentiable) input, so a compiled graph can take
the draw as an input too. The draw is Chainer's: NumPy's global random state on
the CPU, ``cupy.random`` on a GPU, so seeded runs give Chainer's masks.
"""
from __future__ import annotations

import numpy

from tracegrad.backend import get_array_module
from tracegrad.backends import cuda
from tracegrad.configuration import config
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import as_variable

__all__ = ['dropout']


class Dropout(FunctionNode):
    """``x * mask``, where ``mask`` holds 0 or ``1 / (1 - ratio)`` per element."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'mask'))
        x, mask = in_types
        type_check.expect(x.dtype.kind == 'f', mask.dtype == x.dtype, mask.shape == x.shape)

    def forward(self, inputs):
        x, mask = inputs
        self.retain_inputs((1,))
        return x * mask,

    def backward(self, indexes, grad_outputs):
        mask, = self.get_retained_inputs()
        return tuple(grad_outputs[0] * mask if i == 0 else None for i in indexes)


def draw_dropout_mask(xp, shape: tuple, dtype, ratio: float):
    """A mask of ``1 / (1 - ratio)`` with probability ``1 - ratio``, else 0 (Chainer's draw)."""
    if cuda.random_takes_dtype(xp):
        uniform = xp.random.rand(*shape, dtype=numpy.float32)
    else:  # NumPy, or the tracer's stand-in for it when tracing for NumPy
        uniform = xp.random.rand(*shape)
    scale = numpy.dtype(dtype).type(1. / (1 - ratio))
    return xp.asarray((uniform >= ratio) * scale)


def dropout(x, ratio=.5, **kwargs):
    """dropout(x, ratio=.5, *, mask=None, return_mask=False)

    Zero each element with probability ``ratio`` and scale the others by
    ``1 / (1 - ratio)``. Outside training (``config.train`` is False) it
    returns ``x`` unchanged.

    Args:
        x (Variable or array): a float array of any shape.
        ratio (float): the probability of dropping an element, in ``[0, 1)``.
        mask (array or None): a mask to use instead of a random one (then
            ``ratio`` is not used); same shape, dtype and device as ``x``.
        return_mask (bool): also return the mask used, to reuse it later.

    Returns:
        ~tracegrad.Variable, or ``(Variable, mask)`` with ``return_mask=True``
        (the mask is None outside training).

    See Hinton et al., https://arxiv.org/abs/1207.0580.

    >>> x = np.array([[-1, 0], [2, -3], [-2, 1]], np.float32)
    >>> with chainer.using_config('train', True):
    ...     y = F.dropout(x)
    >>> y.array
    array([[-2.,  0.],
           [ 4., -6.],
           [-0.,  2.]], dtype=float32)
    >>> with chainer.using_config('train', True):
    ...     # dropout returns original input if ratio=0.0
    ...     y = F.dropout(x, ratio=0.0)
    >>> bool((x == y.array).all())
    True
    >>> with chainer.using_config('train', False):
    ...     # dropout in test mode returns original input
    ...     y = F.dropout(x)
    >>> bool((x == y.array).all())
    True
    """
    mask = None
    return_mask = False
    if kwargs:
        if 'train' in kwargs:
            raise ValueError("dropout: the train argument is not supported anymore; use "
                             "tracegrad.using_config('train', ...)")
        unknown = set(kwargs) - {'mask', 'return_mask'}
        if unknown:
            raise TypeError(f'dropout() got unexpected keyword argument(s) '
                            f'{", ".join(sorted(unknown))}')
        mask = kwargs.get('mask')
        return_mask = kwargs.get('return_mask', False)
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f'dropout: ratio must be in the range [0, 1), got {ratio}')

    if config.train:
        if mask is None:
            mask = draw_dropout_mask(get_array_module(x), x.shape, x.dtype, ratio)
        out = Dropout().apply((x, mask))[0]
    else:
        out = as_variable(x)
        mask = None
    if return_mask:
        return out, mask
    return out
