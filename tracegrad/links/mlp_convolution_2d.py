"""MLPConvolution2D: the mlpconv layer of Network in Network."""
from __future__ import annotations

import itertools

from tracegrad import functions as F
from tracegrad.link import ChainList
from tracegrad.links.convolution_2d import Convolution2D


class MLPConvolution2D(ChainList):
    """A convolution followed by 1x1 convolutions, an activation between each two
    (Lin et al., Network in Network, 2014).

    The first convolution maps ``in_channels`` to ``out_channels[0]`` with the
    given ``ksize``, ``stride`` and ``pad``; each next one is a 1x1 convolution
    to the next entry of ``out_channels``. The activation is applied after
    every convolution but the last.

    Args:
        in_channels (int or None): input channels (None: from the first input).
        out_channels (tuple of ints): output channels of each convolution.
        ksize (int or pair of ints): kernel size of the first convolution.
        stride (int or pair of ints): stride of the first convolution.
        pad (int or pair of ints): padding of the first convolution.
        activation (callable): the activation (default ``F.relu``).
        conv_init: initializer of the convolutions' weights (keyword only).
        bias_init: initializer of the convolutions' biases (keyword only).

    As in Chainer, ``MLPConvolution2D(out_channels, ksize, ...)`` leaves
    ``in_channels`` to the first input.
    """

    def __init__(self, in_channels, out_channels, ksize=None, stride=1, pad=0,
                 activation=F.relu, *args, conv_init=None, bias_init=None, **kwargs):
        if args or 'wscale' in kwargs:
            raise TypeError('MLPConvolution2D: wscale is not supported anymore; use conv_init '
                            'and bias_init to change the scale of the initial parameters')
        if kwargs:
            raise TypeError(f'MLPConvolution2D: unexpected arguments {sorted(kwargs)}')
        if ksize is None:
            out_channels, ksize, in_channels = in_channels, out_channels, None
        if not out_channels:
            raise ValueError('MLPConvolution2D: out_channels must name at least one '
                             f'convolution, got {out_channels!r}')
        init = {'initialW': conv_init, 'initial_bias': bias_init}
        convs = [Convolution2D(in_channels, out_channels[0], ksize, stride, pad, **init)]
        convs += [Convolution2D(n_in, n_out, 1, **init)
                  for n_in, n_out in itertools.pairwise(out_channels)]
        super().__init__(*convs)
        self.activation = activation

    def forward(self, x):
        for conv in self[:-1]:
            x = self.activation(conv(x))
        return self[-1](x)
