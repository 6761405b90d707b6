"""Inception and InceptionBN: GoogLeNet's blocks of parallel convolution paths."""
from __future__ import annotations

import tracegrad
from tracegrad import functions as F
from tracegrad.link import Chain
from tracegrad.links.batch_normalization import BatchNormalization
from tracegrad.links.convolution_2d import Convolution2D


class Inception(Chain):
    """The Inception block of GoogLeNet (Szegedy et al., 2014).

    Four paths see the input: a 1x1 convolution; a 1x1 projection then a 3x3
    convolution; a 1x1 projection then a 5x5 convolution; a 3x3 max pooling
    (stride 1) then a 1x1 projection. Their outputs, padded to the input's
    spatial size, are concatenated along the channels and passed through ReLU
    (the projections of the 3x3 and 5x5 paths have a ReLU of their own).

    Args:
        in_channels (int or None): input channels (None: from the first input).
        out1 (int): output channels of the 1x1 path.
        proj3 (int): projection channels of the 3x3 path.
        out3 (int): output channels of the 3x3 path.
        proj5 (int): projection channels of the 5x5 path.
        out5 (int): output channels of the 5x5 path.
        proj_pool (int): output channels of the pooling path's projection.
        conv_init: initializer of every convolution's weight.
        bias_init: initializer of every convolution's bias.

    The output has ``out1 + out3 + out5 + proj_pool`` channels.
    """

    def __init__(self, in_channels, out1, proj3, out3, proj5, out5, proj_pool,
                 conv_init=None, bias_init=None):
        super().__init__()
        init = {'initialW': conv_init, 'initial_bias': bias_init}
        with self.init_scope():
            self.conv1 = Convolution2D(in_channels, out1, 1, **init)
            self.proj3 = Convolution2D(in_channels, proj3, 1, **init)
            self.conv3 = Convolution2D(proj3, out3, 3, pad=1, **init)
            self.proj5 = Convolution2D(in_channels, proj5, 1, **init)
            self.conv5 = Convolution2D(proj5, out5, 5, pad=2, **init)
            self.projp = Convolution2D(in_channels, proj_pool, 1, **init)

    def forward(self, x):
        out1 = self.conv1(x)
        out3 = self.conv3(F.relu(self.proj3(x)))
        out5 = self.conv5(F.relu(self.proj5(x)))
        pool = self.projp(F.max_pooling_2d(x, 3, stride=1, pad=1))
        return F.relu(F.concat((out1, out3, out5, pool), axis=1))


class InceptionBN(Chain):
    """The Inception block with batch normalization (Ioffe and Szegedy, 2015).

    Like :class:`Inception`, but every convolution (without bias) is followed
    by :class:`BatchNormalization` and ReLU, the 5x5 path is two 3x3
    convolutions, the pooling is max or average, and ``stride`` applies to the
    last convolution of the 3x3 paths and to the pooling.

    Args:
        in_channels (int or None): input channels.
        out1 (int): output channels of the 1x1 path (0: no such path).
        proj3 (int): projection channels of the single 3x3 path.
        out3 (int): output channels of the single 3x3 path.
        proj33 (int): projection channels of the double 3x3 path.
        out33 (int): output channels of the double 3x3 path.
        pooltype (str): ``'max'`` or ``'avg'``.
        proj_pool (int or None): output channels of a 1x1 projection after the
            pooling (None: the pooled input itself is concatenated).
        stride (int): stride of the 3x3 paths and the pooling.
        conv_init: initializer of every convolution's weight.
        dtype: dtype of the batch normalizations' parameters and statistics.

    The output has ``out1 + out3 + out33 + (proj_pool or in_channels)`` channels.
    """

    def __init__(self, in_channels, out1, proj3, out3, proj33, out33, pooltype,
                 proj_pool=None, stride=1, conv_init=None, dtype=None):
        super().__init__()
        if pooltype not in ('max', 'avg'):
            raise NotImplementedError(f"InceptionBN: pooltype must be 'max' or 'avg', "
                                      f'got {pooltype!r}')
        if out1 > 0 and (stride != 1 or proj_pool is None):
            raise ValueError('InceptionBN: a 1x1 path (out1 > 0) needs stride 1 and a '
                             f'proj_pool, got stride={stride!r}, proj_pool={proj_pool!r}')
        self.out1 = out1
        self.proj_pool = proj_pool
        self.stride = stride
        self.pooltype = pooltype
        dtype = tracegrad.get_dtype(dtype)

        def conv(n_in, n_out, ksize, **kwargs):
            return Convolution2D(n_in, n_out, ksize, nobias=True, initialW=conv_init, **kwargs)

        with self.init_scope():
            self.proj3 = conv(in_channels, proj3, 1)
            self.conv3 = conv(proj3, out3, 3, pad=1, stride=stride)
            self.proj33 = conv(in_channels, proj33, 1)
            self.conv33a = conv(proj33, out33, 3, pad=1)
            self.conv33b = conv(out33, out33, 3, pad=1, stride=stride)
            self.proj3n = BatchNormalization(proj3, dtype=dtype)
            self.conv3n = BatchNormalization(out3, dtype=dtype)
            self.proj33n = BatchNormalization(proj33, dtype=dtype)
            self.conv33an = BatchNormalization(out33, dtype=dtype)
            self.conv33bn = BatchNormalization(out33, dtype=dtype)
            if out1 > 0:
                self.conv1 = conv(in_channels, out1, 1, stride=stride)
                self.conv1n = BatchNormalization(out1, dtype=dtype)
            if proj_pool is not None:
                self.poolp = conv(in_channels, proj_pool, 1)
                self.poolpn = BatchNormalization(proj_pool, dtype=dtype)

    def forward(self, x):
        outs = []
        if self.out1 > 0:
            outs.append(F.relu(self.conv1n(self.conv1(x))))
        h3 = F.relu(self.proj3n(self.proj3(x)))
        outs.append(F.relu(self.conv3n(self.conv3(h3))))
        h33 = F.relu(self.proj33n(self.proj33(x)))
        h33 = F.relu(self.conv33an(self.conv33a(h33)))
        outs.append(F.relu(self.conv33bn(self.conv33b(h33))))
        if self.pooltype == 'max':
            p = F.max_pooling_2d(x, 3, stride=self.stride, pad=1, cover_all=False)
        else:
            p = F.average_pooling_2d(x, 3, stride=self.stride, pad=1)
        if self.proj_pool is not None:
            p = F.relu(self.poolpn(self.poolp(p)))
        outs.append(p)
        return F.concat(outs, axis=1)
