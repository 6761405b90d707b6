"""Convolution2D, Deconvolution2D, DilatedConvolution2D, DepthwiseConvolution2D and
LocalConvolution2D: 2-D convolution layers."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.functions.connection.im2col import pair
from tracegrad.link import Link
from tracegrad.links.convolution_nd import _ConvolutionBase
from tracegrad.variable import Parameter


class Convolution2D(_ConvolutionBase):
    """A 2-D convolution layer: ``F.convolution_2d(x, W, b, stride, pad, dilate, groups)``.

    ``W`` has shape ``(out_channels, in_channels / groups, kh, kw)``. With
    ``in_channels`` None, or given as ``Convolution2D(out_channels, ksize)``, ``W``
    is created on the first call from the input's channels.

    Args:
        in_channels: input channels, or None (lazy).
        out_channels: output channels.
        ksize: kernel size (int or pair).
        stride: stride (int or pair).
        pad: spatial padding (int or pair).
        nobias: if True, there is no bias.
        initialW: initializer for ``W`` (default LeCunNormal).
        initial_bias: initializer for ``b`` (default 0).
        dilate: dilation (int or pair), keyword only.
        groups: number of channel groups, keyword only.

    >>> x = np.arange(1 * 3 * 10 * 10, dtype=np.float32).reshape(1, 3, 10, 10)
    >>> L.Convolution2D(3, 7, 5)(x).shape
    (1, 7, 6, 6)
    >>> L.Convolution2D(7, 5)(x).shape
    (1, 7, 6, 6)
    >>> L.Convolution2D(None, 7, 5)(x).shape
    (1, 7, 6, 6)
    >>> L.Convolution2D(7, 5, stride=1, pad=0)(x).shape
    (1, 7, 6, 6)
    >>> L.Convolution2D(None, 7, 5, 1, 0)(x).shape
    (1, 7, 6, 6)
    """

    def __init__(self, in_channels, out_channels, ksize=None, stride=1, pad=0, nobias=False,
                 initialW=None, initial_bias=None, *, dilate=1, groups=1):
        super().__init__('Convolution2D', 2, in_channels, out_channels, ksize, stride, pad,
                         nobias, initialW, initial_bias, dilate, groups)

    def _weight_shape(self, in_channels):
        return (self.out_channels, in_channels // self.groups) + \
            pair(self.ksize, self._link_name, 'ksize')

    def forward(self, x):
        self._lazy_init(x)
        return F.convolution_2d(x, self.W, self.b, self.stride, self.pad,
                                dilate=self.dilate, groups=self.groups)


class Deconvolution2D(_ConvolutionBase):
    """A 2-D transposed convolution layer: ``F.deconvolution_2d``.

    ``W`` has shape ``(in_channels, out_channels / groups, kh, kw)``. Arguments
    are those of :class:`Convolution2D` plus ``outsize``, the output's ``(h, w)``
    (None: the smallest size consistent with the input).

    >>> x = np.arange(1 * 3 * 10 * 10, dtype=np.float32).reshape(1, 3, 10, 10)
    >>> L.Deconvolution2D(3, 7, 4)(x).shape
    (1, 7, 13, 13)
    >>> L.Deconvolution2D(7, 4)(x).shape
    (1, 7, 13, 13)
    >>> L.Deconvolution2D(None, 7, 4)(x).shape
    (1, 7, 13, 13)
    >>> L.Deconvolution2D(None, 7, 4, 2, 1)(x).shape
    (1, 7, 20, 20)
    >>> L.Deconvolution2D(7, 4, stride=2, pad=1)(x).shape
    (1, 7, 20, 20)
    """

    def __init__(self, in_channels, out_channels, ksize=None, stride=1, pad=0, nobias=False,
                 outsize=None, initialW=None, initial_bias=None, *, dilate=1, groups=1):
        super().__init__('Deconvolution2D', 2, in_channels, out_channels, ksize, stride, pad,
                         nobias, initialW, initial_bias, dilate, groups)
        self.outsize = outsize

    def _weight_shape(self, in_channels):
        return (in_channels, self.out_channels // self.groups) + \
            pair(self.ksize, self._link_name, 'ksize')

    def forward(self, x):
        self._lazy_init(x)
        return F.deconvolution_2d(x, self.W, self.b, self.stride, self.pad, self.outsize,
                                  dilate=self.dilate, groups=self.groups)


class DilatedConvolution2D(_ConvolutionBase):
    """A 2-D convolution layer with dilated filters: ``F.dilated_convolution_2d``.

    The same as :class:`Convolution2D` with ``dilate``, but ``dilate`` comes
    right after ``pad`` and there are no groups.

    >>> x = np.arange(1 * 3 * 10 * 10, dtype=np.float32).reshape(1, 3, 10, 10)
    >>> L.DilatedConvolution2D(3, 7, 5)(x).shape
    (1, 7, 6, 6)
    >>> L.DilatedConvolution2D(7, 5)(x).shape
    (1, 7, 6, 6)
    >>> L.DilatedConvolution2D(None, 7, 5)(x).shape
    (1, 7, 6, 6)
    >>> L.DilatedConvolution2D(None, 7, 5, 1, 0, 2)(x).shape
    (1, 7, 2, 2)
    >>> L.DilatedConvolution2D(7, 5, stride=1, pad=0, dilate=2)(x).shape
    (1, 7, 2, 2)
    """

    def __init__(self, in_channels, out_channels, ksize=None, stride=1, pad=0, dilate=1,
                 nobias=False, initialW=None, initial_bias=None):
        super().__init__('DilatedConvolution2D', 2, in_channels, out_channels, ksize, stride,
                         pad, nobias, initialW, initial_bias, dilate, 1)

    def _weight_shape(self, in_channels):
        return (self.out_channels, in_channels) + pair(self.ksize, self._link_name, 'ksize')

    def forward(self, x):
        self._lazy_init(x)
        return F.dilated_convolution_2d(x, self.W, self.b, self.stride, self.pad, self.dilate)


class DepthwiseConvolution2D(Link):
    """A 2-D depthwise convolution layer: ``F.depthwise_convolution_2d``.

    ``W`` has shape ``(channel_multiplier, in_channels, kh, kw)`` and ``b``
    ``(in_channels * channel_multiplier,)``; with ``in_channels`` None both are
    created on the first call.

    Args:
        in_channels: input channels, or None (lazy).
        channel_multiplier: output channels per input channel.
        ksize: kernel size (int or pair).
        stride: stride (int or pair).
        pad: spatial padding (int or pair).
        nobias: if True, there is no bias.
        initialW: initializer for ``W`` (default ``HeNormal(1 / sqrt(2))``).
        initial_bias: initializer for ``b`` (default 0).
    """

    def __init__(self, in_channels, channel_multiplier, ksize, stride=1, pad=0, nobias=False,
                 initialW=None, initial_bias=None):
        super().__init__()
        name = 'DepthwiseConvolution2D'
        self.ksize = ksize
        self.stride = pair(stride, name, 'stride')
        self.pad = pair(pad, name, 'pad')
        self.channel_multiplier = channel_multiplier
        self.nobias = nobias
        if initialW is None:
            initialW = initializers.HeNormal(1. / 2 ** 0.5)
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            self.b = None if nobias else Parameter(initializers._get_initializer(
                0 if initial_bias is None else initial_bias))
        if in_channels is not None:
            self._initialize_params(in_channels)

    def _initialize_params(self, in_channels: int) -> None:
        kh, kw = pair(self.ksize, 'DepthwiseConvolution2D', 'ksize')
        self.W.initialize((self.channel_multiplier, in_channels, kh, kw))
        if self.b is not None:
            self.b.initialize(self.channel_multiplier * in_channels)

    def forward(self, x):
        if self.W.array is None:
            if len(x.shape) != 4:
                raise ValueError(f'DepthwiseConvolution2D: the input must be 4-D (N, C, H, W), '
                                 f'got shape {x.shape}')
            self._initialize_params(x.shape[1])
        return F.depthwise_convolution_2d(x, self.W, self.b, self.stride, self.pad)


class LocalConvolution2D(Link):
    """A 2-D locally connected layer: ``F.local_convolution_2d``, unshared filters.

    ``W`` has shape ``(out_channels, out_h, out_w, in_channels, kh, kw)`` and
    ``b`` ``(out_channels, out_h, out_w)``, where ``out_h = (h - kh) // sy + 1``
    (likewise ``out_w``) for an input of spatial size ``in_size = (h, w)``. If
    ``in_channels`` or ``in_size`` is None, both are read from the first input.

    Args:
        in_channels: input channels, or None (lazy).
        out_channels: output channels.
        in_size: the input's ``(h, w)`` (int or pair), or None (lazy).
        ksize: kernel size (int or pair).
        stride: stride (int or pair).
        nobias: if True, there is no bias.
        initialW: initializer for ``W`` (default LeCunNormal).
        initial_bias: initializer for ``b`` (default 0).
    """

    def __init__(self, in_channels, out_channels, in_size=None, ksize=None, stride=1,
                 nobias=False, initialW=None, initial_bias=None):
        super().__init__()
        name = 'LocalConvolution2D'
        if ksize is None:
            raise TypeError(f'{name}: ksize is required')
        self.ksize = ksize
        self.stride = pair(stride, name, 'stride')
        self.nobias = nobias
        self.out_channels = out_channels
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            self.b = None if nobias else Parameter(initializers._get_initializer(
                0 if initial_bias is None else initial_bias))
            if in_channels is not None and in_size is not None:
                self._initialize_params(in_channels, pair(in_size, name, 'in_size'))

    def _initialize_params(self, in_channels: int, in_size: tuple) -> None:
        kh, kw = pair(self.ksize, 'LocalConvolution2D', 'ksize')
        out = ((in_size[0] - kh) // self.stride[0] + 1, (in_size[1] - kw) // self.stride[1] + 1)
        if min(out) < 1:
            raise ValueError(f'LocalConvolution2D: the input size {tuple(in_size)} is smaller '
                             f'than the kernel {(kh, kw)}')
        self.W.initialize((self.out_channels,) + out + (in_channels, kh, kw))
        if self.b is not None:
            self.b.initialize((self.out_channels,) + out)

    def forward(self, x):
        if self.W.array is None:
            if len(x.shape) != 4:
                raise ValueError(f'LocalConvolution2D: the input must be 4-D (N, C, H, W), '
                                 f'got shape {x.shape}')
            self._initialize_params(x.shape[1], x.shape[2:])
        return F.local_convolution_2d(x, self.W, self.b, self.stride)
