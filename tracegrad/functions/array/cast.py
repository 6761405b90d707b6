"""Type and device conversion: ``cast`` and ``copy``."""
from __future__ import annotations

import numpy

from tracegrad import backend
from tracegrad.configuration import config
from tracegrad.function_node import FunctionNode
from tracegrad.variable import Variable, as_variable

__all__ = ['cast', 'copy']


class Cast(FunctionNode):
    """Convert an array to another dtype; the gradient is converted back."""

    def __init__(self, dtype: numpy.dtype):
        self.dtype = dtype

    def forward(self, inputs):
        x, = inputs
        self._in_dtype = x.dtype
        return x.astype(self.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        if self._in_dtype.kind != 'f':
            return None,
        return cast(grad_outputs[0], self._in_dtype),


def cast(x, typ) -> Variable:
    """Convert ``x`` to the dtype ``typ``.

    The gradient flows back converted to the input dtype (float inputs only).

    Args:
        x (Variable or array): input.
        typ (str or numpy.dtype): the target dtype.

    Returns:
        ~tracegrad.Variable: the converted variable.

    >>> x = np.arange(0, 3, dtype=np.float64)
    >>> x.dtype
    dtype('float64')
    >>> y = F.cast(x, np.float32)
    >>> y.dtype
    dtype('float32')
    >>> y = F.cast(x, 'float16')
    >>> y.dtype
    dtype('float16')
    """
    try:
        dtype = numpy.dtype(typ)
    except TypeError:
        raise TypeError(f'cast: typ must be a dtype or the name of one, got {typ!r}') from None
    if x.dtype == dtype and not config.enable_backprop:
        return as_variable(x)
    return Cast(dtype).apply((x,))[0]


class Copy(FunctionNode):
    """Send an array to a device; the gradient is sent back."""

    def __init__(self, in_device: backend.Device, out_device: backend.Device):
        self._in_device = in_device
        self.out_device = out_device

    def forward(self, inputs):
        return self.out_device.send(inputs[0]),

    def backward(self, indexes, grad_outputs):
        return Copy(self.out_device, self._in_device).apply(grad_outputs)


def copy(x, dst) -> Variable:
    """Copy ``x`` to the device ``dst`` (differentiable).

    When ``x`` already lives on ``dst`` the output may share its memory.

    Args:
        x (Variable or array): input.
        dst: a device specifier: a :class:`~tracegrad.backend.Device`,
            ``'@numpy'``, ``'@cupy:N'``, or an int (negative for the CPU).

    Returns:
        ~tracegrad.Variable: the variable on ``dst``.

    >>> np_array = np.ones(3, np.float32)
    >>> y = F.copy(np_array, '@numpy')
    >>> y.device
    <CpuDevice @numpy>
    >>> y.array
    array([1., 1., 1.], dtype=float32)
    """
    in_device = backend.get_device_from_array(x.array if isinstance(x, Variable) else x)
    out_device = backend.get_device(dst)
    return Copy(in_device, out_device).apply((x,))[0]
