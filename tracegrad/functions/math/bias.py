"""``bias`` and ``scale``: add or multiply a smaller array placed at an axis of ``x``.

``y`` is laid along ``x``'s axes ``axis, axis + 1, ...`` and broadcast over the
others (Caffe's Bias and Scale layers): for ``x`` of shape (100, 3, 40, 5, 6),
``y`` of shape (3, 40) and ``axis=1``, ``y`` acts as shape (1, 3, 40, 1, 1).
"""
from __future__ import annotations

from tracegrad.functions.math.sum import broadcast_reduced
from tracegrad.variable import Variable, as_variable

__all__ = ['bias', 'scale']


def _spread(func: str, x, y, axis: int):
    """``y`` broadcast to ``x.shape`` from the axes ``axis ... axis + y.ndim - 1``."""
    x_shape, y_shape = tuple(x.shape), tuple(y.shape)
    if axis < 0:
        axis += len(x_shape)
    if not 0 <= axis or x_shape[axis:axis + len(y_shape)] != y_shape:
        raise ValueError(f'{func}: y.shape must equal x.shape[axis:axis + y.ndim], got '
                         f'x.shape={x_shape}, y.shape={y_shape}, axis={axis}')
    others = [i for i in range(len(x_shape)) if not axis <= i < axis + len(y_shape)]
    return broadcast_reduced(y, x_shape, others)


def bias(x, y, axis: int = 1) -> Variable:
    """Elementwise sum of ``x`` and ``y`` broadcast from ``axis`` of ``x``.

    Args:
        x (Variable or array): a float array.
        y (Variable or array): a float array with
            ``y.shape == x.shape[axis:axis + y.ndim]``.
        axis (int): the first axis of ``x`` that ``y`` lies along.

    Returns:
        ~tracegrad.Variable: ``x + y`` (``y`` broadcast).

    >>> x = np.zeros((2, 3, 2), np.float32)
    >>> F.bias(x, np.array([1., 2., 3.], np.float32)).array[0]
    array([[1., 1.],
           [2., 2.],
           [3., 3.]], dtype=float32)
    """
    return as_variable(x) + _spread('bias', x, y, axis)


def scale(x, y, axis: int = 1) -> Variable:
    """Elementwise product of ``x`` and ``y`` broadcast from ``axis`` of ``x``.

    Args:
        x (Variable or array): a float array.
        y (Variable or array): a float array with
            ``y.shape == x.shape[axis:axis + y.ndim]``.
        axis (int): the first axis of ``x`` that ``y`` lies along.

    Returns:
        ~tracegrad.Variable: ``x * y`` (``y`` broadcast).

    >>> x = np.ones((2, 3), np.float32)
    >>> F.scale(x, np.array([1., 2., 3.], np.float32)).array
    array([[1., 2., 3.],
           [1., 2., 3.]], dtype=float32)
    """
    return as_variable(x) * _spread('scale', x, y, axis)

