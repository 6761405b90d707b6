"""ConvolutionND and DeconvolutionND (and their 1-D and 3-D forms): N-D (transposed)
convolution layers. :class:`Convolution2D` and :class:`Deconvolution2D` share their base."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.functions.connection.convolution_nd import check_groups
from tracegrad.functions.connection.im2col import as_tuple
from tracegrad.link import Link
from tracegrad.variable import Parameter


class _ConvolutionBase(Link):
    """Argument handling and lazy weight creation shared by the convolution links
    (``ndim`` spatial axes)."""

    def __init__(self, link_name, ndim, in_channels, out_channels, ksize, stride, pad, nobias,
                 initialW, initial_bias, dilate, groups):
        super().__init__()
        if ksize is None:  # the (out_channels, ksize) shorthand
            out_channels, ksize, in_channels = in_channels, out_channels, None
        if ksize is None or out_channels is None:
            raise TypeError(f'{link_name}: out_channels and ksize are required')
        self.ksize = ksize
        self.ndim = ndim
        self.stride = as_tuple(stride, ndim, link_name, 'stride')
        self.pad = as_tuple(pad, ndim, link_name, 'pad')
        self.dilate = as_tuple(dilate, ndim, link_name, 'dilate')
        self.out_channels = out_channels
        self.in_channels = in_channels
        self.groups = check_groups(groups, link_name)
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
            if x.ndim != self.ndim + 2:
                axes = '(N, C, H, W)' if self.ndim == 2 else f'(N, C, D_1, ..., D_{self.ndim})'
                raise ValueError(f'{self._link_name}: the input must be {self.ndim + 2}-D '
                                 f'{axes}, got shape {x.shape}')
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



class ConvolutionND(_ConvolutionBase):
    """An N-D convolution layer: ``F.convolution_nd(x, W, b, stride, pad, cover_all, dilate,
    groups)``.

    ``W`` has shape ``(out_channels, in_channels / groups, k_1, ..., k_N)``. With
    ``in_channels`` None, or given as ``ConvolutionND(ndim, out_channels, ksize)``,
    ``W`` is created on the first call from the input's channels.

    Args:
        ndim: number of spatial axes.
        in_channels: input channels, or None (lazy).
        out_channels: output channels.
        ksize: kernel size (int or tuple of ``ndim`` ints).
        stride: stride (int or tuple).
        pad: spatial padding (int or tuple).
        nobias: if True, there is no bias.
        initialW: initializer for ``W`` (default LeCunNormal).
        initial_bias: initializer for ``b`` (default 0).
        cover_all: whether every input cell is covered by some window.
        dilate: dilation (int or tuple).
        groups: number of channel groups.

    >>> x = np.arange(2 * 5 * 5 * 5, dtype=np.float32).reshape(
    ...     1, 2, 5, 5, 5)
    >>> l = L.ConvolutionND(3, 2, 7, 4)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 2, 2, 2)
    >>> l = L.ConvolutionND(3, 7, 4)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 2, 2, 2)
    >>> l = L.ConvolutionND(3, None, 7, 4)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 2, 2, 2)
    >>> l = L.ConvolutionND(3, 7, 4, stride=1, pad=0)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 2, 2, 2)
    >>> l = L.ConvolutionND(3, None, 7, 4, 1, 0)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 2, 2, 2)
    """

    _link_label = 'ConvolutionND'

    def __init__(self, ndim, in_channels, out_channels, ksize=None, stride=1, pad=0,
                 nobias=False, initialW=None, initial_bias=None, cover_all=False, dilate=1,
                 groups=1):
        super().__init__(self._link_label, ndim, in_channels, out_channels, ksize, stride, pad,
                         nobias, initialW, initial_bias, dilate, groups)
        self.cover_all = cover_all

    def _weight_shape(self, in_channels):
        return (self.out_channels, in_channels // self.groups) + \
            as_tuple(self.ksize, self.ndim, self._link_name, 'ksize')

    def forward(self, x):
        self._lazy_init(x)
        return F.convolution_nd(x, self.W, self.b, self.stride, self.pad,
                                cover_all=self.cover_all, dilate=self.dilate, groups=self.groups)


class Convolution1D(ConvolutionND):
    """:class:`ConvolutionND` with one spatial axis (inputs ``(n, c, d)``)."""

    _link_label = 'Convolution1D'

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, nobias=False,
                 initialW=None, initial_bias=None, cover_all=False, dilate=1, groups=1):
        super().__init__(1, in_channels, out_channels, ksize, stride, pad, nobias, initialW,
                         initial_bias, cover_all, dilate, groups)


class Convolution3D(ConvolutionND):
    """:class:`ConvolutionND` with three spatial axes (inputs ``(n, c, d_1, d_2, d_3)``)."""

    _link_label = 'Convolution3D'

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, nobias=False,
                 initialW=None, initial_bias=None, cover_all=False, dilate=1, groups=1):
        super().__init__(3, in_channels, out_channels, ksize, stride, pad, nobias, initialW,
                         initial_bias, cover_all, dilate, groups)


class DeconvolutionND(_ConvolutionBase):
    """An N-D transposed convolution layer: ``F.deconvolution_nd``.

    ``W`` has shape ``(in_channels, out_channels / groups, k_1, ..., k_N)``.
    Arguments are those of :class:`ConvolutionND` (without ``cover_all``) plus
    ``outsize``, the output's spatial size (None: the smallest size consistent
    with the input).

    >>> x = np.arange(2 * 5 * 5 * 5, dtype=np.float32).reshape(
    ...     1, 2, 5, 5, 5)
    >>> l = L.DeconvolutionND(3, 2, 7, 4)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 8, 8, 8)
    >>> l = L.DeconvolutionND(3, 7, 4)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 8, 8, 8)
    >>> l = L.DeconvolutionND(3, None, 7, 4)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 8, 8, 8)
    >>> l = L.DeconvolutionND(3, 7, 4, stride=2, pad=1)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 10, 10, 10)
    >>> l = L.DeconvolutionND(3, None, 7, 4, 2, 1)
    >>> y = l(x)
    >>> y.shape
    (1, 7, 10, 10, 10)
    """

    _link_label = 'DeconvolutionND'

    def __init__(self, ndim, in_channels, out_channels, ksize=None, stride=1, pad=0,
                 nobias=False, outsize=None, initialW=None, initial_bias=None, dilate=1,
                 groups=1):
        super().__init__(self._link_label, ndim, in_channels, out_channels, ksize, stride, pad,
                         nobias, initialW, initial_bias, dilate, groups)
        self.outsize = outsize

    def _weight_shape(self, in_channels):
        return (in_channels, self.out_channels // self.groups) + \
            as_tuple(self.ksize, self.ndim, self._link_name, 'ksize')

    def forward(self, x):
        self._lazy_init(x)
        return F.deconvolution_nd(x, self.W, self.b, self.stride, self.pad, self.outsize,
                                  dilate=self.dilate, groups=self.groups)


class Deconvolution1D(DeconvolutionND):
    """:class:`DeconvolutionND` with one spatial axis (inputs ``(n, c, d)``)."""

    _link_label = 'Deconvolution1D'

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, nobias=False,
                 outsize=None, initialW=None, initial_bias=None, dilate=1, groups=1):
        super().__init__(1, in_channels, out_channels, ksize, stride, pad, nobias, outsize,
                         initialW, initial_bias, dilate, groups)


class Deconvolution3D(DeconvolutionND):
    """:class:`DeconvolutionND` with three spatial axes (inputs ``(n, c, d_1, d_2, d_3)``)."""

    _link_label = 'Deconvolution3D'

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, nobias=False,
                 outsize=None, initialW=None, initial_bias=None, dilate=1, groups=1):
        super().__init__(3, in_channels, out_channels, ksize, stride, pad, nobias, outsize,
                         initialW, initial_bias, dilate, groups)
