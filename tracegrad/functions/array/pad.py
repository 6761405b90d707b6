"""Padding: ``pad`` (numpy.pad's modes) and ``pad_sequence`` (ragged batches to a matrix)."""
from __future__ import annotations

import numpy

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['pad', 'pad_sequence']

# Modes whose padded values are copies of input elements: a fixed gather per axis.
_GATHER_MODES = ('edge', 'reflect', 'symmetric', 'wrap')


def _pad_widths(pad_width, ndim: int) -> tuple:
    """numpy.pad's ``pad_width`` forms as ``((before, after),) * ndim`` of ints."""
    try:
        widths = numpy.broadcast_to(numpy.asarray(pad_width), (ndim, 2))
    except ValueError:
        raise ValueError(f'pad: pad_width {pad_width!r} does not fit an input of {ndim} '
                         f'dimensions; give an int, (before, after) or one pair per axis'
                         ) from None
    if widths.size and widths.dtype.kind not in 'iu':
        raise TypeError(f'pad: pad_width must hold ints, got {pad_width!r}')
    if (widths < 0).any():
        raise ValueError(f'pad: pad_width must not be negative, got {pad_width!r}')
    return tuple((int(b), int(a)) for b, a in widths)


class ConstantPad(FunctionNode):
    """Surround an array with a constant."""

    def __init__(self, widths: tuple, value):
        self.widths = widths
        self.value = value

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')

    @property
    def label(self) -> str:
        return 'Pad'

    def forward(self, inputs):
        x, = inputs
        self._in_shape = x.shape
        return get_array_module(x).pad(x, self.widths, mode='constant',
                                       constant_values=x.dtype.type(self.value)),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.get_item import get_item

        center = tuple(slice(b, b + n) for (b, _), n in zip(self.widths, self._in_shape))
        return get_item(grad_outputs[0], center),


def pad(x, pad_width, mode, **keywords) -> Variable:
    """Pad ``x`` as :func:`numpy.pad` does.

    Args:
        x (Variable or array): a float input.
        pad_width (int or array-like): the widths added before and after each
            axis: an int, a ``(before, after)`` pair, or one pair per axis.
        mode (str): how the border is filled: ``'constant'`` (with
            ``constant_values``, default 0), ``'edge'``, ``'reflect'``,
            ``'symmetric'`` or ``'wrap'``.
        constant_values (scalar): the fill value of the ``'constant'`` mode.

    Returns:
        ~tracegrad.Variable: the padded variable. Its gradient sums the
        gradients of every copy of an input element.

    >>> x = np.array([[1., 2.], [3., 4.]], np.float32)
    >>> F.pad(x, 1, 'constant').array
    array([[0., 0., 0., 0.],
           [0., 1., 2., 0.],
           [0., 3., 4., 0.],
           [0., 0., 0., 0.]], dtype=float32)
    >>> F.pad(x, ((0, 0), (1, 2)), 'reflect').array
    array([[2., 1., 2., 1., 2.],
           [4., 3., 4., 3., 4.]], dtype=float32)
    """
    widths = _pad_widths(pad_width, len(x.shape))
    if mode == 'constant':
        value = keywords.pop('constant_values', 0)
        if keywords:
            raise TypeError(f'pad: unexpected keyword arguments {sorted(keywords)} for '
                            f"mode 'constant'")
        if numpy.ndim(value) != 0:
            raise ValueError('pad: only a scalar constant_values is supported, '
                             f'got {value!r}')
        return ConstantPad(widths, float(value)).apply((x,))[0]
    if mode not in _GATHER_MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use 'constant', "
                         f"{', '.join(repr(m) for m in _GATHER_MODES)}")
    if keywords.get('reflect_type', 'even') != 'even' or set(keywords) - {'reflect_type'}:
        raise ValueError(f'pad: unsupported keyword arguments {keywords!r} for mode {mode!r}')
    return _gather_pad(x, widths, mode)


def _gather_pad(x, widths: tuple, mode: str) -> Variable:
    """Pad axis by axis, each a gather with the index map numpy.pad gives ``arange``."""
    from tracegrad.functions.array.get_item import get_item
    from tracegrad.variable import as_variable

    if len(x.shape) and x.dtype.kind != 'f':
        raise type_check.InvalidType("x.dtype.kind == 'f'", f'{x.dtype.kind!r} != \'f\'',
                                     msg=f"Invalid operation is performed in: Pad "
                                         f"(Forward)\n\nExpect: x.dtype.kind == 'f'\n"
                                         f"Actual: {x.dtype.kind!r} != 'f'")
    y = as_variable(x)
    for axis, ((before, after), n) in enumerate(zip(widths, x.shape)):
        if before == after == 0:
            continue
        if n == 0:
            raise ValueError(f'pad: cannot pad axis {axis} of length 0 in mode {mode!r}')
        index = numpy.pad(numpy.arange(n), (before, after), mode=mode)
        y = get_item(y, (slice(None),) * axis + (index,))
    return y


class PadSequence(FunctionNode):
    """Stack sequences of different lengths into one padded array."""

    def __init__(self, length, padding):
        self.length = length
        self.padding = padding

    def check_type_forward(self, in_types):
        type_check.expect(in_types.size() > 0)
        x0 = in_types[0]
        for i, x in enumerate(in_types):
            type_check._argname((x,), (f'x{i}',))
            type_check.expect(x.ndim > 0, x.shape[1:] == x0.shape[1:], x.dtype == x0.dtype)
            if self.length is not None:
                type_check.expect(x.shape[0] <= self.length)

    def forward(self, xs):
        xp = get_array_module(*xs)
        length = self.length if self.length is not None else max(x.shape[0] for x in xs)
        self._lengths = [x.shape[0] for x in xs]
        value = xs[0].dtype.type(self.padding)
        rest = ((0, 0),) * (xs[0].ndim - 1)
        rows = [xp.pad(x, ((0, length - x.shape[0]),) + rest, mode='constant',
                       constant_values=value).reshape((1, length) + x.shape[1:])
                for x in xs]
        return xp.concatenate(rows, axis=0),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.array.get_item import get_item

        gy, = grad_outputs
        return tuple(get_item(gy, (i, slice(0, self._lengths[i]))) for i in indexes)


def pad_sequence(xs, length=None, padding=0) -> Variable:
    """Stack arrays of different lengths into one array, padding their ends.

    Args:
        xs (list of Variables or arrays): inputs whose shapes agree except in
            the first axis.
        length (None or int): the length of the output's second axis; None
            uses the longest input.
        padding (int or float): the fill value.

    Returns:
        ~tracegrad.Variable: an array of shape ``(len(xs), length) + xs[0].shape[1:]``.

    >>> xs = [np.array([1., 2., 3.], np.float32), np.array([4.], np.float32)]
    >>> F.pad_sequence(xs, padding=-1).array
    array([[ 1.,  2.,  3.],
           [ 4., -1., -1.]], dtype=float32)
    """
    if not isinstance(xs, (list, tuple)) or len(xs) == 0:
        raise ValueError('pad_sequence: xs must be a non-empty list of Variables or arrays')
    if length is not None:
        if isinstance(length, bool) or not hasattr(length, '__index__'):
            raise TypeError(f'pad_sequence: length must be None or an int, got {length!r}')
        length = int(length)
    return PadSequence(length, padding).apply(xs)[0]
