"""``fft`` and ``ifft`` of complex data held as a ``(real, imag)`` pair of float arrays.

The transforms run on ``xp.fft`` along the last axis. They have no IR primitive:
tracing them raises :class:`~tracegrad.CompileError` naming ``numpy.fft``.
"""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check

__all__ = ['fft', 'ifft']


class FFT(FunctionNode):
    """The discrete Fourier transform (``method='fft'``) or its inverse (``'ifft'``)
    of ``real + 1j * imag`` along the last axis, returned as its real and imaginary parts."""

    def __init__(self, method: str):
        self.method = method

    @property
    def label(self) -> str:
        return self.method

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('real', 'imag'))
        r, i = in_types
        type_check.expect(r.dtype.kind == 'f', r.ndim > 0, i.dtype == r.dtype,
                          i.shape == r.shape)

    def forward(self, inputs):
        real, imag = inputs
        xp = get_array_module(real)
        transform = getattr(xp.fft, self.method)
        # By linearity, so that each transform reads a real array as given.
        fr, fi = transform(real), transform(imag)
        dtype = real.dtype
        return (fr.real - fi.imag).astype(dtype, copy=False), \
            (fr.imag + fi.real).astype(dtype, copy=False)

    def backward(self, indexes, grad_outputs):
        gr, gi = grad_outputs
        if gr is None:
            gr = gi.xp.zeros_like(gi.array)
        if gi is None:
            gi = gr.xp.zeros_like(gr.array)
        # Both transforms are symmetric matrices M, so the gradient M^H g is
        # conj(M conj(g)); with conj(g) = gr - 1j gi and M(1j h) = 1j M(h), that is
        # the transform of (gi, gr) with its two parts swapped back.
        hi, hr = FFT(self.method).apply((gi, gr))
        return tuple((hr, hi)[i] for i in indexes)


def fft(x) -> tuple:
    """Fast Fourier transform along the last axis.

    Args:
        x (tuple): ``(real, imag)``: the real and imaginary parts of the input,
            Variables or float arrays of one shape and dtype.

    Returns:
        tuple: ``(real, imag)`` of the transform, two Variables.

    >>> re, im = F.fft((np.array([1., 2., 3., 4.], np.float32), np.zeros(4, np.float32)))
    >>> re.array, im.array
    (array([10., -2., -2., -2.], dtype=float32), array([ 0.,  2.,  0., -2.], dtype=float32))
    """
    real, imag = x
    return FFT('fft').apply((real, imag))


def ifft(x) -> tuple:
    """Inverse fast Fourier transform along the last axis (scaled by ``1 / n``).

    Args:
        x (tuple): ``(real, imag)``: the real and imaginary parts of the input,
            Variables or float arrays of one shape and dtype.

    Returns:
        tuple: ``(real, imag)`` of the inverse transform, two Variables.
    """
    real, imag = x
    return FFT('ifft').apply((real, imag))
