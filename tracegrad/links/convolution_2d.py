"""Convolution2D and Deconvolution2D: 2-D (transposed) convolution layers."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.functions.connection.im2col import pair
from tracegrad.link import Link
from tracegrad.variable import Parameter


class _ConvolutionBase(Link):
    """Argument handling and lazy weight creation shared by both convolutions."""

    def __init__(self, link_name, in_channels, out_channels, ksize, stride, pad, nobias,
                 initialW, initial_bias, dilate, groups):
        super().__init__()
        if ksize is None:  # the (out_channels, ksize) shorthand
            out_channels, ksize, in_channels = in_channels, out_channels, None
        if ksize is None or out_channels is None:
            raise TypeError(f'{link_name}: out_channels and ksize are required')
        self.ksize = ksize
        self.stride = pair(stride, link_name, 'stride')
        self.pad = pair(pad, link_name, 'pad')
        self.dilate = pair(dilate, link_name, 'dilate')
        self.out_channels = out_channels
        self.in_channels = in_channels
        self.groups = int(groups)
        self._link_name = link_name
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_channels is not None:
                self._initialize_params(in_channels)
            if nobias:
                self.b = None
            else:
                self.b = Parameter(initializers._get_initializer(
                    0 if initial_bias is None else initial_bias), out_channels)

    def _weight_shape(self, in_channels: int) -> tuple:
        raise NotImplementedError

    def _initialize_params(self, in_channels: int) -> None:
        for what, n in (('output', self.out_channels), ('input', in_channels)):
            if n % self.groups != 0:
                raise ValueError(f'{self._link_name}: the number of {what} channels ({n}) must '
                                 f'be divisible by the number of groups ({self.groups})')
        self.W.initialize(self._weight_shape(in_channels))

    def _lazy_init(self, x) -> None:
        if self.W.array is None:
            if x.ndim != 4:
                raise ValueError(f'{self._link_name}: the input must be 4-D (N, C, H, W), '
                                 f'got shape {x.shape}')
            self._initialize_params(x.shape[1])

    @property
    def printable_specs(self):
        yield 'in_channels', self.in_channels
        yield 'out_channels', self.out_channels
        yield 'ksize', self.ksize
        yield 'stride', self.stride
        yield 'pad', self.pad
        yield 'nobias', self.b is None
        yield 'dilate', self.dilate
        yield 'groups', self.groups


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
        super().__init__('Convolution2D', in_channels, out_channels, ksize, stride, pad,
                         nobias, initialW, initial_bias, dilate, groups)

    def _weight_shape(self, in_channels):
        kh, kw = pair(self.ksize, self._link_name, 'ksize')
        return self.out_channels, in_channels // self.groups, kh, kw

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
        super().__init__('Deconvolution2D', in_channels, out_channels, ksize, stride, pad,
                         nobias, initialW, initial_bias, dilate, groups)
        self.outsize = outsize

    def _weight_shape(self, in_channels):
        kh, kw = pair(self.ksize, self._link_name, 'ksize')
        return in_channels, self.out_channels // self.groups, kh, kw

    def forward(self, x):
        self._lazy_init(x)
        return F.deconvolution_2d(x, self.W, self.b, self.stride, self.pad, self.outsize,
                                  dilate=self.dilate, groups=self.groups)
