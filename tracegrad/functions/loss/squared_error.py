"""Squared errors: elementwise (``squared_error``) and averaged (``mean_squared_error``)."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.functions.array.broadcast import broadcast_to
from tracegrad.functions.loss._checks import check_same_float_arrays

__all__ = ['mean_squared_error', 'squared_difference', 'squared_error']


class SquaredError(FunctionNode):
    """Elementwise ``(x0 - x1) ** 2``."""

    label = 'squared_error'

    def check_type_forward(self, in_types):
        check_same_float_arrays(in_types)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        diff = x0 - x1
        return diff * diff,

    def backward(self, indexes, grad_outputs):
        x0, x1 = self.get_retained_inputs()
        gx0 = grad_outputs[0] * 2 * (x0 - x1)
        return gx0, -gx0


class MeanSquaredError(FunctionNode):
    """The mean of ``(x0 - x1) ** 2`` over all elements."""

    label = 'mean_squared_error'

    def check_type_forward(self, in_types):
        check_same_float_arrays(in_types)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        diff = (x0 - x1).ravel()
        return diff.dot(diff) / x0.dtype.type(diff.size),

    def backward(self, indexes, grad_outputs):
        x0, x1 = self.get_retained_inputs()
        diff = x0 - x1
        gx0 = broadcast_to(grad_outputs[0], diff.shape) * diff * (2. / diff.size)
        return gx0, -gx0


def squared_error(x0, x1):
    """Elementwise squared error ``(x0 - x1) ** 2`` (not scaled by 1/2).

    Args:
        x0 (~tracegrad.Variable or array): input.
        x1 (~tracegrad.Variable or array): input of the same shape and dtype.

    Returns:
        ~tracegrad.Variable: the squared differences, of the inputs' shape.

    .. admonition:: Example

        >>> x1 = np.arange(6).astype(np.float32)
        >>> x1
        array([0., 1., 2., 3., 4., 5.], dtype=float32)
        >>> x2 = np.array([5, 4, 3, 2, 1, 0]).astype(np.float32)
        >>> x2
        array([5., 4., 3., 2., 1., 0.], dtype=float32)
        >>> y = F.squared_error(x1, x2)
        >>> y.shape
        (6,)
        >>> y.array
        array([25.,  9.,  1.,  1.,  9., 25.], dtype=float32)
    """
    return SquaredError().apply((x0, x1))[0]


def squared_difference(x1, x2):
    """The same as :func:`squared_error`, with Chainer's other argument names.

    Args:
        x1 (~tracegrad.Variable or array): input.
        x2 (~tracegrad.Variable or array): input of the same shape and dtype.

    Returns:
        ~tracegrad.Variable: ``(x1 - x2) ** 2`` elementwise.
    """
    return squared_error(x1, x2)


def mean_squared_error(x0, x1):
    """Mean of the squared differences over all elements (not scaled by 1/2).

    Args:
        x0 (~tracegrad.Variable or array): input.
        x1 (~tracegrad.Variable or array): input of the same shape and dtype.

    Returns:
        ~tracegrad.Variable: a scalar, the mean squared error.

    .. admonition:: Example

        1D array examples:

        >>> x = np.array([1, 2, 3, 4]).astype(np.float32)
        >>> y = np.array([0, 0, 0, 0]).astype(np.float32)
        >>> F.mean_squared_error(x, y)
        variable(7.5)
        >>> x = np.array([1, 2, 3, 4, 5, 6]).astype(np.float32)
        >>> y = np.array([7, 8, 9, 10, 11, 12]).astype(np.float32)
        >>> F.mean_squared_error(x, y)
        variable(36.)

        2D array example (4 elements, thus 4 errors):

        >>> x = np.array([[1, 2], [3, 4]]).astype(np.float32)
        >>> y = np.array([[8, 8], [8, 8]]).astype(np.float32)
        >>> F.mean_squared_error(x, y)
        variable(31.5)

        3D array example (8 elements, thus 8 errors):

        >>> x = np.reshape(np.array([1, 2, 3, 4, 5, 6, 7, 8]), (2, 2, 2))
        >>> y = np.reshape(np.array([8, 8, 8, 8, 8, 8, 8, 8]), (2, 2, 2))
        >>> x = x.astype(np.float32)
        >>> y = y.astype(np.float32)
        >>> F.mean_squared_error(x, y)
        variable(17.5)
    """
    return MeanSquaredError().apply((x0, x1))[0]
