"""Arithmetic of Variables: the functions behind ``+ - * / // ** @``, ``-x`` and ``abs``.

Binary operations broadcast like NumPy; gradients are summed back to each
input's shape. A scalar or array operand that is not a Variable is a constant.
"""
from __future__ import annotations

import numpy

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable, _is_array

__all__ = [
    'absolute',
    'add',
    'div',
    'floordiv',
    'matmul',
    'mul',
    'neg',
    'pow',
    'rdiv',
    'rfloordiv',
    'rmatmul',
    'rpow',
    'rsub',
    'sub',
]


def _sum_to(gy: Variable, shape: tuple) -> Variable:
    if gy.shape == shape:
        return gy
    from tracegrad.functions.math.sum import sum_to

    return sum_to(gy, shape)


class _Binary(FunctionNode):
    """Elementwise op of two arrays of one float dtype, with NumPy broadcasting."""

    symbol = '?'

    @property
    def label(self) -> str:
        return f'_ {self.symbol} _'

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('lhs', 'rhs'))
        type_check.expect(in_types[0].dtype == in_types[1].dtype)
        type_check.expect_broadcast_shapes(in_types[0].shape, in_types[1].shape)


class Add(_Binary):
    symbol = '+'

    def forward(self, inputs):
        x0, x1 = inputs
        self.in_shapes = (x0.shape, x1.shape)
        return x0 + x1,

    def backward(self, indexes, grad_outputs):
        gy, = grad_outputs
        return tuple(_sum_to(gy, self.in_shapes[i]) for i in indexes)


class Sub(_Binary):
    symbol = '-'

    def forward(self, inputs):
        x0, x1 = inputs
        self.in_shapes = (x0.shape, x1.shape)
        return x0 - x1,

    def backward(self, indexes, grad_outputs):
        gy, = grad_outputs
        return tuple(_sum_to(gy if i == 0 else -gy, self.in_shapes[i]) for i in indexes)


class Mul(_Binary):
    symbol = '*'

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        return x0 * x1,

    def backward(self, indexes, grad_outputs):
        x0, x1 = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        for i in indexes:
            other = x1 if i == 0 else x0
            ret.append(_sum_to(gy * other, (x0, x1)[i].shape))
        return tuple(ret)


class Div(_Binary):
    symbol = '/'

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        return x0 / x1,

    def backward(self, indexes, grad_outputs):
        x0, x1 = self.get_retained_inputs()
        gy, = grad_outputs
        gx0 = gy / x1
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(_sum_to(gx0, x0.shape))
            else:
                ret.append(_sum_to(-gx0 * x0 / x1, x1.shape))
        return tuple(ret)


class PowVarVar(_Binary):
    symbol = '**'

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        self.retain_outputs((0,))
        x0, x1 = inputs
        return x0 ** x1,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import log

        x0, x1 = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        gy, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(_sum_to(x1 * x0 ** (x1 - 1) * gy, x0.shape))
            else:
                ret.append(_sum_to(log(x0) * y * gy, x1.shape))
        return tuple(ret)


class _Unary(FunctionNode):
    """Elementwise op of one array (NumPy's own rules apply; nothing to check)."""


class Neg(_Unary):
    label = '-_'

    def forward(self, inputs):
        return -inputs[0],

    def backward(self, indexes, grad_outputs):
        return -grad_outputs[0],


class Absolute(_Unary):
    label = '|_|'

    def forward(self, inputs):
        self.retain_inputs((0,))
        return abs(inputs[0]),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        xp = x.xp
        return grad_outputs[0] * Variable(xp.asarray(xp.sign(x.array)), requires_grad=False),


class AddConstant(_Unary):
    def __init__(self, value):
        self.value = value

    @property
    def label(self) -> str:
        return f'_ + {self.value}'

    def forward(self, inputs):
        return inputs[0] + self.value,

    def backward(self, indexes, grad_outputs):
        return grad_outputs[0],


class SubFromConstant(_Unary):
    def __init__(self, value):
        self.value = value

    @property
    def label(self) -> str:
        return f'{self.value} - _'

    def forward(self, inputs):
        return self.value - inputs[0],

    def backward(self, indexes, grad_outputs):
        return -grad_outputs[0],


class MulConstant(_Unary):
    def __init__(self, value):
        self.value = value

    @property
    def label(self) -> str:
        return f'_ * {self.value}'

    def forward(self, inputs):
        return inputs[0] * self.value,

    def backward(self, indexes, grad_outputs):
        return grad_outputs[0] * self.value,


class DivConstant(_Unary):
    def __init__(self, value):
        self.value = value

    @property
    def label(self) -> str:
        return f'_ / {self.value}'

    def forward(self, inputs):
        return inputs[0] / self.value,

    def backward(self, indexes, grad_outputs):
        return grad_outputs[0] / self.value,


class DivFromConstant(_Unary):
    def __init__(self, value):
        self.value = value

    @property
    def label(self) -> str:
        return f'{self.value} / _'

    def forward(self, inputs):
        self.retain_inputs((0,))
        return self.value / inputs[0],

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        return -grad_outputs[0] * self.value / (x * x),


class PowVarConst(_Unary):
    def __init__(self, value):
        self.value = value

    @property
    def label(self) -> str:
        return f'_ ** {self.value}'

    def forward(self, inputs):
        self.retain_inputs((0,))
        return inputs[0] ** self.value,

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        c = self.value
        if c == 2:
            return grad_outputs[0] * (x * c),
        return grad_outputs[0] * (x ** (c - 1) * c),


class PowConstVar(_Unary):
    def __init__(self, value):
        self.value = value

    @property
    def label(self) -> str:
        return f'{self.value} ** _'

    def forward(self, inputs):
        self.retain_outputs((0,))
        x = inputs[0]
        return x.dtype.type(self.value) ** x,

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return grad_outputs[0] * y * float(numpy.log(self.value)),


class Floor(_Unary):
    """Elementwise floor; it has no gradient."""

    label = 'floor'

    def forward(self, inputs):
        from tracegrad.backend import get_array_module

        return get_array_module(inputs[0]).floor(inputs[0]),

    def backward(self, indexes, grad_outputs):
        return None,


def _operand(x: Variable, value, op: str):
    """Classify the other operand: ('const', scalar) or ('var', Variable)."""
    if isinstance(value, Variable):
        return 'var', value
    if numpy.isscalar(value) or isinstance(value, numpy.generic):
        if isinstance(value, (str, bytes)):
            raise TypeError(f'{op}: unsupported operand type {type(value).__name__}')
        return 'const', x.dtype.type(value)
    if _is_array(value):
        return 'var', Variable(value.astype(x.dtype, copy=False), requires_grad=False)
    raise TypeError(f'{op}: the operand must be a scalar, an array or a Variable, '
                    f'got {type(value).__name__}')


def add(self: Variable, rhs) -> Variable:  # lhs + rhs
    kind, v = _operand(self, rhs, '+')
    if kind == 'const':
        return AddConstant(v).apply((self,))[0]
    return Add().apply((self, v))[0]


def sub(self: Variable, rhs) -> Variable:  # lhs - rhs
    kind, v = _operand(self, rhs, '-')
    if kind == 'const':
        return AddConstant(-v).apply((self,))[0]
    return Sub().apply((self, v))[0]


def rsub(self: Variable, rhs) -> Variable:  # rhs - lhs
    kind, v = _operand(self, rhs, '-')
    if kind == 'const':
        return SubFromConstant(v).apply((self,))[0]
    return Sub().apply((v, self))[0]


def mul(self: Variable, rhs) -> Variable:  # lhs * rhs
    kind, v = _operand(self, rhs, '*')
    if kind == 'const':
        return MulConstant(v).apply((self,))[0]
    return Mul().apply((self, v))[0]


def div(self: Variable, rhs) -> Variable:  # lhs / rhs
    kind, v = _operand(self, rhs, '/')
    if kind == 'const':
        return DivConstant(v).apply((self,))[0]
    return Div().apply((self, v))[0]


def rdiv(self: Variable, rhs) -> Variable:  # rhs / lhs
    kind, v = _operand(self, rhs, '/')
    if kind == 'const':
        return DivFromConstant(v).apply((self,))[0]
    return Div().apply((v, self))[0]


def pow(self: Variable, rhs) -> Variable:  # lhs ** rhs
    kind, v = _operand(self, rhs, '**')
    if kind == 'const':
        return PowVarConst(v).apply((self,))[0]
    return PowVarVar().apply((self, v))[0]


def rpow(self: Variable, rhs) -> Variable:  # rhs ** lhs
    kind, v = _operand(self, rhs, '**')
    if kind == 'const':
        return PowConstVar(v).apply((self,))[0]
    return PowVarVar().apply((v, self))[0]


def floordiv(self: Variable, rhs) -> Variable:  # lhs // rhs (no gradient)
    return Floor().apply((div(self, rhs),))[0]


def rfloordiv(self: Variable, rhs) -> Variable:  # rhs // lhs (no gradient)
    return Floor().apply((rdiv(self, rhs),))[0]


def neg(self: Variable) -> Variable:
    return Neg().apply((self,))[0]


def absolute(self: Variable) -> Variable:
    return Absolute().apply((self,))[0]


def matmul(self: Variable, rhs) -> Variable:  # lhs @ rhs
    from tracegrad.functions.math.matmul import matmul as _matmul

    return _matmul(self, rhs)


def rmatmul(self: Variable, rhs) -> Variable:  # rhs @ lhs
    from tracegrad.functions.math.matmul import matmul as _matmul

    return _matmul(rhs, self)


def install_variable_arithmetics() -> None:
    """Make the operators of :class:`~tracegrad.Variable` call these functions."""
    ops = {
        '__neg__': neg, '__abs__': absolute,
        '__add__': add, '__radd__': add, '__sub__': sub, '__rsub__': rsub,
        '__mul__': mul, '__rmul__': mul, '__truediv__': div, '__rtruediv__': rdiv,
        '__floordiv__': floordiv, '__rfloordiv__': rfloordiv,
        '__pow__': pow, '__rpow__': rpow, '__matmul__': matmul, '__rmatmul__': rmatmul,
    }
    for name, fn in ops.items():
        setattr(Variable, name, fn)
