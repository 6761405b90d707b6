"""Output sizes of convolutions and deconvolutions along one axis (``chainer.utils`` names)."""


def get_conv_outsize(size: int, k: int, s: int, p: int, cover_all: bool = False,
                     d: int = 1) -> int:
    """Output length of a convolution along one axis.

    ``size`` input length, ``k`` kernel, ``s`` stride, ``p`` padding on each
    side, ``d`` dilation. With ``cover_all`` the last window may hang over the
    padded end (up to ``s - 1`` extra cells), so every input cell is covered.

    >>> utils.get_conv_outsize(7, 3, 2, 1)
    4
    >>> utils.get_conv_outsize(6, 3, 2, 0, cover_all=True)
    3
    """
    span = (k - 1) * d + 1
    extra = s - 1 if cover_all else 0
    return (size + 2 * p - span + extra) // s + 1


def get_deconv_outsize(size: int, k: int, s: int, p: int, cover_all: bool = False,
                       d: int = 1) -> int:
    """Output length of a deconvolution (the inverse of :func:`get_conv_outsize`).

    >>> utils.get_deconv_outsize(4, 3, 2, 1)
    7
    """
    span = (k - 1) * d + 1
    length = s * (size - 1) + span - 2 * p
    if cover_all:
        length -= s - 1
    return length
