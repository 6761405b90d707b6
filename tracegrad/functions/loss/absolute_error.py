"""Absolute errors: elementwise (``absolute_error``) and averaged (``mean_absolute_error``)."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.functions.array.broadcast import broadcast_to
from tracegrad.functions.loss._checks import check_same_float_arrays
from tracegrad.variable import Variable

__all__ = ['absolute_error', 'mean_absolute_error']


class _AbsoluteErrorBase(FunctionNode):
    def check_type_forward(self, in_types):
        check_same_float_arrays(in_types)

    def _diff_keeping_sign(self, x0, x1):
        """Keep sign(x0 - x1) for backward; the gradient is piecewise constant."""
        diff = x0 - x1
        self.sign = backend.get_array_module(diff).sign(diff)
        return diff


class AbsoluteError(_AbsoluteErrorBase):
    """Elementwise ``|x0 - x1|``."""

    label = 'absolute_error'

    def forward(self, inputs):
        diff = self._diff_keeping_sign(*inputs)
        return abs(diff),

    def backward(self, indexes, grad_outputs):
        gx0 = grad_outputs[0] * Variable(self.sign, requires_grad=False)
        return gx0, -gx0


class MeanAbsoluteError(_AbsoluteErrorBase):
    """The mean of ``|x0 - x1|`` over all elements."""

    label = 'mean_absolute_error'

    def forward(self, inputs):
        diff = self._diff_keeping_sign(*inputs)
        return abs(diff).sum() / diff.dtype.type(diff.size),

    def backward(self, indexes, grad_outputs):
        gy = broadcast_to(grad_outputs[0], self.sign.shape)
        gx0 = gy * Variable(self.sign * self.sign.dtype.type(1. / self.sign.size),
                            requires_grad=False)
        return gx0, -gx0


def absolute_error(x0, x1):
    """Elementwise absolute error ``|x0 - x1|``.

    Args:
        x0 (~tracegrad.Variable or array): input.
        x1 (~tracegrad.Variable or array): input of the same shape and dtype.

    Returns:
        ~tracegrad.Variable: the absolute differences, of the inputs' shape.

    >>> F.absolute_error(np.array([1., 5.], np.float32), np.array([3., 2.], np.float32))
    variable([2., 3.])
    """
    return AbsoluteError().apply((x0, x1))[0]


def mean_absolute_error(x0, x1):
    """Mean of the absolute differences over all elements.

    Args:
        x0 (~tracegrad.Variable or array): input.
        x1 (~tracegrad.Variable or array): input of the same shape and dtype.

    Returns:
        ~tracegrad.Variable: a scalar, the mean absolute error.

    .. admonition:: Example

        1D array examples:

        >>> x = np.array([1, 2, 3]).astype(np.float32)
        >>> y = np.array([0, 0, 0]).astype(np.float32)
        >>> F.mean_absolute_error(x, y)
        variable(2.)
        >>> x = np.array([1, 2, 3, 4, 5, 6]).astype(np.float32)
        >>> y = np.array([7, 8, 9, 10, 11, 12]).astype(np.float32)
        >>> F.mean_absolute_error(x, y)
        variable(6.)

        2D array example (4 elements, thus 4 errors):

        >>> x = np.array([[1, 2], [3, 4]]).astype(np.float32)
        >>> y = np.array([[8, 8], [8, 8]]).astype(np.float32)
        >>> F.mean_absolute_error(x, y)
        variable(5.5)

        3D array example (8 elements, thus 8 errors):

        >>> x = np.reshape(np.array([1, 2, 3, 4, 5, 6, 7, 8]), (2, 2, 2))
        >>> y = np.reshape(np.array([8, 8, 8, 8, 8, 8, 8, 8]), (2, 2, 2))
        >>> x = x.astype(np.float32)
        >>> y = y.astype(np.float32)
        >>> F.mean_absolute_error(x, y)
        variable(3.5)
    """
    return MeanAbsoluteError().apply((x0, x1))[0]
