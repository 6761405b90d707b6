"""Local response normalization across neighbouring channels (AlexNet's)."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['local_response_normalization']


def _window_sum(x, half_n: int):
    """Sum over channels ``c - half_n .. c + half_n`` (axis 1, zero outside)."""
    if half_n == 0:
        return x
    xp = get_array_module(x)
    channels = x.shape[1]
    pad = [(0, 0)] * x.ndim
    pad[1] = (half_n, half_n)
    padded = xp.pad(x, pad)
    out = padded[:, :channels]
    for j in range(1, 2 * half_n + 1):
        out = out + padded[:, j:j + channels]
    return out


class ChannelWindowSum(FunctionNode):
    """Sum of each channel's symmetric neighbourhood; linear and self-adjoint."""

    def __init__(self, half_n: int):
        self.half_n = half_n

    def forward(self, inputs):
        return _window_sum(inputs[0], self.half_n),

    def backward(self, indexes, grad_outputs):
        return ChannelWindowSum(self.half_n).apply(grad_outputs)


class LocalResponseNormalization(FunctionNode):
    """``x / (k + alpha * window_sum(x ** 2)) ** beta`` over neighbouring channels."""

    def __init__(self, n=5, k=2, alpha=1e-4, beta=.75):
        self.n = n
        self.k = k
        self.alpha = alpha
        self.beta = beta

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_type, = in_types
        type_check.expect(x_type.dtype.kind == 'f', x_type.ndim >= 2)

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        dtype = x.dtype.type
        denom = dtype(self.k) + dtype(self.alpha) * _window_sum(x * x, self.n // 2)
        return x * denom ** dtype(-self.beta),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        gy, = grad_outputs
        window = ChannelWindowSum(self.n // 2)
        denom = window.apply((x * x,))[0] * self.alpha + self.k
        scale = denom ** -self.beta
        y = x * scale
        summed = ChannelWindowSum(self.n // 2).apply((gy * y / denom,))[0]
        return gy * scale - x * summed * (2 * self.alpha * self.beta),


def local_response_normalization(x, n=5, k=2, alpha=1e-4, beta=.75) -> Variable:
    """Local response normalization across neighbouring channels.

    For each channel ``i`` (axis 1) of ``x`` this computes

    .. math::
       y_i = {x_i \\over \\left( k + \\alpha \\sum_{j=\\max(0, i - n/2)}^{
             \\min(C - 1, i + n/2)} x_j^2 \\right)^\\beta},

    with ``n/2`` rounded down, so the window holds ``2 * (n // 2) + 1`` channels.

    Args:
        x (Variable or array): input of shape ``(N, C, ...)``.
        n (int): width of the normalization window.
        k (float): added to the sum (smoothing).
        alpha (float): scale of the sum of squares.
        beta (float): exponent of the denominator.

    Returns:
        ~tracegrad.Variable: output of the shape of ``x``.

    See: Section 3.3 of `ImageNet Classification with Deep Convolutional
    Neural Networks <https://www.cs.toronto.edu/~fritz/absps/imagenet.pdf>`_
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f'local_response_normalization: n must be a positive int, got {n!r}')
    return LocalResponseNormalization(n, k, alpha, beta).apply((x,))[0]
