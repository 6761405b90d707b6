"""``depthwise_convolution_2d``: each input channel convolved with its own filters."""
from __future__ import annotations

from tracegrad.variable import Variable

__all__ = ['depthwise_convolution_2d']


def depthwise_convolution_2d(x, W, b=None, stride=1, pad=0) -> Variable:
    """Two-dimensional depthwise convolution.

    Input channel ``c`` is convolved with the ``c_M`` filters ``W[:, c]``, giving
    output channels ``c * c_M, ..., c * c_M + c_M - 1``: a grouped convolution
    with one group per input channel.

    Args:
        x (Variable or array): input of shape ``(n, c_I, h, w)``.
        W (Variable or array): filters of shape ``(c_M, c_I, k_H, k_W)``
            (``c_M`` is the channel multiplier).
        b (Variable or array): optional bias of shape ``(c_I * c_M,)``.
        stride (int or pair of ints): stride of the filter applications.
        pad (int or pair of ints): zero padding added to each side of ``x``.

    Returns:
        ~tracegrad.Variable: output of shape ``(n, c_I * c_M, h_O, w_O)``.

    >>> x = np.random.uniform(0, 1, (2, 3, 4, 7))
    >>> W = np.random.uniform(0, 1, (2, 3, 3, 3))
    >>> b = np.random.uniform(0, 1, (6,))
    >>> y = F.depthwise_convolution_2d(x, W, b)
    >>> y.shape
    (2, 6, 2, 5)
    """
    from tracegrad import functions as F

    if len(W.shape) != 4:
        raise ValueError(f'depthwise_convolution_2d: W must have 4 axes (c_M, c_I, k_H, k_W), '
                         f'got shape {tuple(W.shape)}')
    multiplier, in_channels, kh, kw = W.shape
    if len(x.shape) == 4 and x.shape[1] != in_channels:
        raise ValueError(f'depthwise_convolution_2d: x has {x.shape[1]} channels but W is for '
                         f'{in_channels} (x.shape[1] must equal W.shape[1]), shapes '
                         f'{tuple(x.shape)} and {tuple(W.shape)}')
    W = F.reshape(F.transpose(W, (1, 0, 2, 3)), (in_channels * multiplier, 1, kh, kw))
    return F.convolution_2d(x, W, b, stride, pad, groups=in_channels)
