"""DeformableConvolution2D: a convolution that predicts where its taps read, then reads there."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.functions.connection.im2col import pair
from tracegrad.link import Chain, Link
from tracegrad.links.convolution_2d import Convolution2D
from tracegrad.variable import Parameter


class DeformableConvolution2D(Chain):
    """A two-dimensional deformable convolution layer.

    A :class:`Convolution2D` (``offset_conv``) predicts, for every output
    position, the offsets of the ``k_H * k_W`` taps from ``x``; then
    :func:`~tracegrad.functions.deformable_convolution_2d_sampler` applies
    the filters of ``deform_conv`` to ``x`` sampled at the moved taps.

    Args:
        in_channels (int or None): input channels; None creates the weights
            on the first call.
        out_channels (int): output channels.
        ksize (int or pair of ints): filter size.
        stride (int or pair of ints): stride of both convolutions.
        pad (int or pair of ints): zero padding of both convolutions.
        offset_nobias (bool): if True, the offset convolution has no bias.
        offset_initialW: initializer of the offset convolution's filters
            (default LeCunNormal, as :class:`Convolution2D`).
        offset_initial_bias: initializer of its bias (default 0).
        deform_nobias (bool): if True, the deformable convolution has no bias.
        deform_initialW: initializer of the deformable convolution's filters
            (default 0, as in Chainer).
        deform_initial_bias: initializer of its bias (default 0).

    >>> x = np.random.uniform(0, 1, (2, 3, 6, 5)).astype(np.float32)
    >>> L.DeformableConvolution2D(3, 4, 3, pad=1)(x).shape
    (2, 4, 6, 5)
    """

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, offset_nobias=False,
                 offset_initialW=None, offset_initial_bias=None, deform_nobias=False,
                 deform_initialW=None, deform_initial_bias=None):
        super().__init__()
        kh, kw = pair(ksize, 'DeformableConvolution2D', 'ksize')
        with self.init_scope():
            self.offset_conv = Convolution2D(in_channels, 2 * kh * kw, ksize, stride, pad,
                                             offset_nobias, offset_initialW,
                                             offset_initial_bias)
            self.deform_conv = DeformableConvolution2DSampler(
                in_channels, out_channels, ksize, stride, pad, deform_nobias, deform_initialW,
                deform_initial_bias)

    def forward(self, x):
        """Apply the deformable convolution to images ``x`` ``(n, c_I, h, w)``."""
        return self.deform_conv(x, self.offset_conv(x))


class DeformableConvolution2DSampler(Link):
    """The filters ``W`` ``(c_O, c_I, k_H, k_W)`` and bias ``b`` of a deformable
    convolution, applied to ``(x, offset)`` by
    :func:`~tracegrad.functions.deformable_convolution_2d_sampler`.

    Args are those of :class:`Convolution2D`, but ``initialW`` defaults to 0.
    """

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0, nobias=False,
                 initialW=None, initial_bias=None):
        super().__init__()
        name = 'DeformableConvolution2D'
        self.ksize = pair(ksize, name, 'ksize')
        self.stride = pair(stride, name, 'stride')
        self.pad = pair(pad, name, 'pad')
        self.out_channels = out_channels
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(
                initializers.Zero() if initialW is None else initialW))
            self.b = None if nobias else Parameter(initializers._get_initializer(
                0 if initial_bias is None else initial_bias), out_channels)
        if in_channels is not None:
            self._initialize_params(in_channels)

    def _initialize_params(self, in_channels: int) -> None:
        self.W.initialize((self.out_channels, in_channels) + self.ksize)

    def forward(self, x, offset):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return F.deformable_convolution_2d_sampler(x, offset, self.W, self.b, self.stride,
                                                   self.pad)
