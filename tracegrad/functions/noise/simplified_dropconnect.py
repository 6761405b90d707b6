"""``simplified_dropconnect``: a linear layer whose weights are randomly dropped.

The mask is drawn in the public function (NumPy's global random state on the
CPU, as in Chainer) and is scaled by ``1 / (1 - ratio)`` there, so the node
computes ``(W * mask) @ x`` per sample for a given mask.
"""
from __future__ import annotations

import numpy

from tracegrad.backend import get_array_module
from tracegrad.backends import cuda
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['simplified_dropconnect']


class SimplifiedDropconnect(FunctionNode):
    """``y[n] = (W * mask[n]) @ x[n] (+ b)``; ``mask`` is (M, N) or (n, M, N), pre-scaled."""

    def __init__(self, mask):
        self.mask = mask

    def check_type_forward(self, in_types):
        n_in = len(in_types)
        type_check._argname(in_types, ('x', 'W', 'b')[:n_in])
        x_type, w_type = in_types[:2]
        type_check.expect(
            x_type.dtype.kind == 'f',
            w_type.dtype.kind == 'f',
            x_type.ndim >= 2,
            w_type.ndim == 2,
        )
        x_shape = type_check.eval(x_type.shape)
        type_check.expect(int(numpy.prod(x_shape[1:])) == w_type.shape[1])
        if n_in == 3:
            b_type = in_types[2]
            type_check.expect(b_type.dtype == x_type.dtype, b_type.ndim == 1,
                              b_type.shape[0] == w_type.shape[0])
        w_shape = type_check.eval(w_type.shape)
        if self.mask.shape[-2:] != w_shape or (
                self.mask.ndim == 3 and self.mask.shape[0] != type_check.eval(x_type.shape[0])):
            raise type_check.InvalidType(
                'mask.shape == W.shape or mask.shape == (x.shape[0],) + W.shape',
                f'mask.shape == {self.mask.shape}, W.shape == {w_shape}, '
                f'x.shape == {type_check.eval(x_type.shape)}')

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, w = inputs[:2]
        xp = get_array_module(x)
        x2 = x.reshape(x.shape[0], -1)
        w_masked = w * self.mask                          # (M, N) or (n, M, N)
        y = xp.matmul(w_masked, x2[:, :, None])[:, :, 0]  # (n, M)
        y = y.astype(x.dtype, copy=False)
        if len(inputs) == 3:
            y = y + inputs[2]
        return y,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.reshape import reshape
        from tracegrad.functions.math.matmul import matmul
        from tracegrad.functions.math.sum import sum as sum_

        x, w = self.get_retained_inputs()
        gy, = grad_outputs
        x2 = reshape(x, (x.shape[0], -1))
        ret = []
        for i in indexes:
            if i == 0:   # gx[n] = gy[n] @ (W * mask[n])
                w_masked = w * self.mask
                if w_masked.ndim == 2:
                    gx = matmul(gy, w_masked)
                else:
                    gx = reshape(matmul(reshape(gy, gy.shape[:1] + (1, -1)), w_masked),
                                 (x.shape[0], -1))
                ret.append(reshape(gx, x.shape))
            elif i == 1:  # gW = sum_n outer(gy[n], x[n]) * mask[n]
                if self.mask.ndim == 2:
                    ret.append(matmul(gy, x2, transa=True) * self.mask)
                else:
                    outer = reshape(gy, gy.shape + (1,)) * reshape(x2, (x2.shape[0], 1, -1))
                    ret.append(sum_(outer * self.mask, axis=0))
            else:
                ret.append(sum_(gy, axis=0))
        return tuple(ret)


def simplified_dropconnect(x, W, b=None, ratio=.5, train=True, mask=None,
                           use_batchwise_mask=True) -> Variable:
    """A linear layer ``y = x W^T + b`` with randomly dropped weights.

    In training each weight is zeroed with probability ``ratio`` and the
    others are scaled by ``1 / (1 - ratio)``; with ``use_batchwise_mask`` every
    sample of the batch gets its own mask. With ``train=False`` nothing is
    dropped (a random mask is still drawn, as Chainer does, keeping seeded
    random streams in step). This averages before the activation, unlike the
    sampling of the original paper.

    Args:
        x (Variable or array): input; axis 0 is the batch, the other axes are
            flattened to ``N`` features.
        W (Variable or array): weights of shape (M, N).
        b (Variable, array or None): bias of shape (M,).
        ratio (float): the probability of dropping a weight, in ``[0, 1)``.
        train (bool): if False, behave as a linear layer.
        mask (Variable, array or None): a mask to use instead of a random one,
            (M, N) or (n, M, N) (then ``use_batchwise_mask`` is not used); it
            is multiplied by ``1 / (1 - ratio)`` as a drawn one is.
        use_batchwise_mask (bool): draw one mask per sample, not one in all.

    Returns:
        ~tracegrad.Variable: output of shape (n, M).

    See Wan et al., Regularization of Neural Networks using DropConnect
    (ICML 2013), https://cs.nyu.edu/~wanli/dropc/.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f'simplified_dropconnect: ratio must be in the range [0, 1), '
                         f'got {ratio}')
    if not train:
        ratio = 0
    w_shape = W.shape
    if len(w_shape) != 2:
        raise ValueError(f'simplified_dropconnect: W must be 2-d (M, N), got shape {w_shape}')
    xp = get_array_module(W)
    if mask is None:
        shape = ((x.shape[0],) if use_batchwise_mask else ()) + w_shape
        if cuda.random_takes_dtype(xp):
            mask = xp.random.rand(*shape, dtype=numpy.float32) >= ratio
        else:
            mask = xp.random.rand(*shape) >= ratio
    elif isinstance(mask, Variable):
        mask = mask.array
    if mask.ndim not in (2, 3):
        raise ValueError(f'simplified_dropconnect: mask must be (M, N) or (n, M, N), '
                         f'got shape {mask.shape}')
    scaled = mask.astype(W.dtype) * numpy.dtype(W.dtype).type(1. / (1 - ratio))
    inputs = (x, W) if b is None else (x, W, b)
    return SimplifiedDropconnect(scaled).apply(inputs)[0]
