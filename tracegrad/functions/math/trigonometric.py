"""Trigonometric functions: ``sin``, ``cos``, ``tan`` and their inverses ``arcsin``,
``arccos``, ``arctan``, ``arctan2``."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.functions.math.elementwise import FloatUnary
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['arccos', 'arcsin', 'arctan', 'arctan2', 'cos', 'sin', 'tan']


class Sin(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).sin(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * cos(x),


class Cos(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).cos(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] * -sin(x),


class Tan(FloatUnary):
    def forward(self, inputs):
        self.retain_outputs((0,))
        x, = inputs
        return get_array_module(x).tan(x),

    def backward(self, indexes, grad_outputs):
        # d/dx tan(x) = 1 + tan(x)^2
        y, = self.get_retained_outputs()
        return grad_outputs[0] * (y * y + 1.0),


class Arcsin(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).arcsin(x),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sqrt import rsqrt

        x, = self.get_retained_inputs()
        return grad_outputs[0] * rsqrt(1.0 - x * x),


class Arccos(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).arccos(x),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sqrt import rsqrt

        x, = self.get_retained_inputs()
        return -grad_outputs[0] * rsqrt(1.0 - x * x),


class Arctan(FloatUnary):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return get_array_module(x).arctan(x),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return grad_outputs[0] / (x * x + 1.0),


class Arctan2(FunctionNode):
    """The angle of the point (x2, x1): d/dx1 = x2 / r^2, d/dx2 = -x1 / r^2."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x1', 'x2'))
        x1, x2 = in_types
        type_check.expect(x1.dtype.kind == 'f', x1.dtype == x2.dtype)
        type_check.expect_broadcast_shapes(x1.shape, x2.shape)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x1, x2 = inputs
        return get_array_module(x1).arctan2(x1, x2),

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.sum import sum_to

        x1, x2 = self.get_retained_inputs()
        gy_r2 = grad_outputs[0] / (x1 * x1 + x2 * x2)
        ret = []
        if 0 in indexes:
            ret.append(sum_to(gy_r2 * x2, x1.shape))
        if 1 in indexes:
            ret.append(sum_to(-gy_r2 * x1, x2.shape))
        return tuple(ret)


def sin(x) -> Variable:
    """Elementwise sine (radians).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``sin(x)``.
    """
    return Sin().apply((x,))[0]


def cos(x) -> Variable:
    """Elementwise cosine (radians).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``cos(x)``.
    """
    return Cos().apply((x,))[0]


def tan(x) -> Variable:
    """Elementwise tangent (radians).

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: ``tan(x)``.
    """
    return Tan().apply((x,))[0]


def arcsin(x) -> Variable:
    """Elementwise inverse sine.

    Args:
        x (Variable or array): a float array with values in [-1, 1].

    Returns:
        ~tracegrad.Variable: angles in radians, in [-pi/2, pi/2].
    """
    return Arcsin().apply((x,))[0]


def arccos(x) -> Variable:
    """Elementwise inverse cosine.

    Args:
        x (Variable or array): a float array with values in [-1, 1].

    Returns:
        ~tracegrad.Variable: angles in radians, in [0, pi].
    """
    return Arccos().apply((x,))[0]


def arctan(x) -> Variable:
    """Elementwise inverse tangent.

    Args:
        x (Variable or array): a float array.

    Returns:
        ~tracegrad.Variable: angles in radians, in (-pi/2, pi/2).
    """
    return Arctan().apply((x,))[0]


def arctan2(x1, x2) -> Variable:
    """Elementwise arctangent of ``x1 / x2`` that uses both signs to pick the quadrant.

    Args:
        x1 (Variable or array): y-coordinates, a float array.
        x2 (Variable or array): x-coordinates, of ``x1``'s dtype; the two broadcast.

    Returns:
        ~tracegrad.Variable: the angle of each point ``(x2, x1)`` in radians, in [-pi, pi].

    >>> F.arctan2(np.array([1., -1.]), np.array([-1., -1.])).array / np.pi
    array([ 0.75, -0.75])
    """
    return Arctan2().apply((x1, x2))[0]
