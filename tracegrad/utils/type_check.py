"""Type checks of function inputs, written as expressions that explain themselves.

In ``check_type_forward(self, in_types)``, each ``in_types[i]`` is an
expression whose ``shape``, ``dtype``, ``ndim`` and ``size`` are expressions too.
Comparisons build :class:`Testable` conditions; :func:`expect` evaluates them and
raises :class:`InvalidType` with the expected expression and the actual values::

    def check_type_forward(self, in_types):
        type_check.expect(in_types.size() == 2)
        x_type, w_type = in_types
        type_check.expect(x_type.dtype.kind == 'f', x_type.shape[1] == w_type.shape[1])

>>> from tracegrad.utils import type_check
>>> t = type_check.get_types((np.zeros((2, 3), np.float32),), 'in_types', False)
>>> type_check.expect(t[0].ndim == 3)
Traceback (most recent call last):
...
tracegrad.utils.type_check.InvalidType: Expect: in_types[0].ndim == 3
Actual: 2 != 3
"""
from __future__ import annotations

import operator
from typing import Any

import numpy


class InvalidType(Exception):
    """Raised when function inputs do not meet the function's expectations.

    Attributes:
        expect: the expected condition, as text.
        actual: the values found, as text.
    """

    def __init__(self, expect: str, actual: str, msg: str | None = None):
        if msg is None:
            msg = f'Expect: {expect}\nActual: {actual}'
        super().__init__(msg)
        self.expect = expect
        self.actual = actual

    def __reduce__(self):
        return type(self), (self.expect, self.actual, str(self))


class Expr:
    """A lazily evaluated expression with a readable text form."""

    priority = 100

    def eval(self) -> Any:
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__

    def __bool__(self):
        raise RuntimeError(f"type_check: don't use the expression {self} as a bool; "
                           f"pass it to type_check.expect()")

    # attribute, item and call access
    def __getattr__(self, name: str) -> Expr:
        if name.startswith('__'):
            raise AttributeError(name)
        return GetAttr(self, name)

    def __getitem__(self, key) -> Expr:
        return GetItem(self, key)

    def __call__(self, *args) -> Expr:
        return Call(self, args)

    # comparisons build conditions
    def __eq__(self, other):  # type: ignore[override]
        return Testable(self, other, '==', operator.eq, '!=')

    def __ne__(self, other):  # type: ignore[override]
        return Testable(self, other, '!=', operator.ne, '==')

    def __lt__(self, other):
        return Testable(self, other, '<', operator.lt, '>=')

    def __le__(self, other):
        return Testable(self, other, '<=', operator.le, '>')

    def __gt__(self, other):
        return Testable(self, other, '>', operator.gt, '<=')

    def __ge__(self, other):
        return Testable(self, other, '>=', operator.ge, '<')

    __hash__ = object.__hash__

    # arithmetic builds expressions
    def __add__(self, other):
        return BinaryOp(self, other, '+', operator.add, 4)

    def __radd__(self, other):
        return BinaryOp(other, self, '+', operator.add, 4)

    def __sub__(self, other):
        return BinaryOp(self, other, '-', operator.sub, 4)

    def __rsub__(self, other):
        return BinaryOp(other, self, '-', operator.sub, 4)

    def __mul__(self, other):
        return BinaryOp(self, other, '*', operator.mul, 5)

    def __rmul__(self, other):
        return BinaryOp(other, self, '*', operator.mul, 5)

    def __floordiv__(self, other):
        return BinaryOp(self, other, '//', operator.floordiv, 5)

    def __truediv__(self, other):
        return BinaryOp(self, other, '/', operator.truediv, 5)

    def __mod__(self, other):
        return BinaryOp(self, other, '%', operator.mod, 5)

    def __neg__(self):
        return UnaryOp(self, '-', operator.neg)


def eval(expr: Any) -> Any:
    """Evaluate an expression (plain values evaluate to themselves)."""
    return expr.eval() if isinstance(expr, Expr) else expr


def _text(x: Any, priority: int = 0) -> str:
    if isinstance(x, Expr):
        t = x.text()
        return f'({t})' if x.priority < priority else t
    return repr(x)


class Variable(Expr):
    """A named value, e.g. ``in_types[0]``."""

    def __init__(self, value: Any, name: str):
        self.__dict__['value'] = value
        self.__dict__['name'] = name

    def eval(self):
        return self.value

    def text(self):
        return self.name


class Constant(Variable):
    def __init__(self, value: Any):
        super().__init__(value, repr(value))


class GetAttr(Expr):
    def __init__(self, obj: Expr, name: str):
        self.__dict__['obj'] = obj
        self.__dict__['attr'] = name

    def eval(self):
        return getattr(eval(self.obj), self.attr)

    def text(self):
        return f'{_text(self.obj, 100)}.{self.attr}'


class GetItem(Expr):
    def __init__(self, obj: Expr, key: Any):
        self.__dict__['obj'] = obj
        self.__dict__['key'] = key

    def eval(self):
        key = self.key
        if isinstance(key, slice):
            key = slice(eval(key.start), eval(key.stop), eval(key.step))
        return eval(self.obj)[eval(key)]

    def text(self):
        key = self.key
        if isinstance(key, slice):
            parts = ['' if v is None else _text(v) for v in (key.start, key.stop)]
            k = ':'.join(parts) + ('' if key.step is None else f':{_text(key.step)}')
        else:
            k = _text(key)
        return f'{_text(self.obj, 100)}[{k}]'


class Call(Expr):
    def __init__(self, fn: Expr, args: tuple):
        self.__dict__['fn'] = fn
        self.__dict__['args'] = args

    def eval(self):
        return eval(self.fn)(*[eval(a) for a in self.args])

    def text(self):
        return f'{_text(self.fn, 100)}({", ".join(_text(a) for a in self.args)})'


class BinaryOp(Expr):
    def __init__(self, lhs, rhs, op: str, fn, priority: int):
        self.__dict__.update(lhs=lhs, rhs=rhs, op=op, fn=fn, priority=priority)

    def eval(self):
        return self.fn(eval(self.lhs), eval(self.rhs))

    def text(self):
        return f'{_text(self.lhs, self.priority)} {self.op} {_text(self.rhs, self.priority + 1)}'


class UnaryOp(Expr):
    def __init__(self, operand, op: str, fn):
        self.__dict__.update(operand=operand, op=op, fn=fn, priority=6)

    def eval(self):
        return self.fn(eval(self.operand))

    def text(self):
        return f'{self.op}{_text(self.operand, 6)}'


class Testable:
    """A condition for :func:`expect`."""

    def __init__(self, lhs, rhs, op: str, fn, inverse: str):
        self.lhs, self.rhs, self.op, self.fn, self.inverse = lhs, rhs, op, fn, inverse

    def expect(self) -> None:
        left, right = eval(self.lhs), eval(self.rhs)
        if not self.fn(left, right):
            raise InvalidType(f'{_text(self.lhs, 3)} {self.op} {_text(self.rhs, 3)}',
                              f'{left} {self.inverse} {right}')

    def __bool__(self):
        raise RuntimeError('type_check: pass conditions to type_check.expect(), do not use '
                           'them as bools')


class TypeInfo:
    """Shape and dtype of one input array."""

    def __init__(self, shape: tuple, dtype: numpy.dtype):
        self.shape = shape
        self.dtype = dtype
        self.ndim = len(shape)

    @property
    def size(self) -> int:
        return int(numpy.prod(self.shape, dtype=numpy.int64))


class TypeInfoTuple(tuple):
    """The tuple of input types; :meth:`size` is the number of inputs as an expression."""

    name = 'in_types'

    def size(self) -> Variable:
        return Variable(len(self), f'{self.name}.size')


def get_types(data: tuple, name: str, accept_none: bool) -> TypeInfoTuple:
    """Wrap arrays as named :class:`TypeInfo` expressions (``name[i]``)."""
    infos = []
    for i, a in enumerate(data):
        if a is None and accept_none:
            info = None
        else:
            info = TypeInfo(a.shape, a.dtype)
        infos.append(Variable(info, f'{name}[{i}]'))
    t = TypeInfoTuple(infos)
    t.name = name
    return t


def _argname(in_types: TypeInfoTuple, names: tuple) -> None:
    """Name the inputs for messages (``x`` rather than ``in_types[0]``)."""
    if len(in_types) != len(names):
        raise InvalidType(f'{in_types.name}.size == {len(names)}',
                          f'{len(in_types)} != {len(names)}')
    for t, n in zip(in_types, names):
        if isinstance(t, Variable):
            t.__dict__['name'] = n


argname = _argname


def expect(*conditions) -> None:
    """Check each condition, raising :class:`InvalidType` at the first that fails.

    A condition is a comparison of type-check expressions, or a plain bool.
    """
    for cond in conditions:
        if isinstance(cond, Testable):
            cond.expect()
        elif isinstance(cond, (bool, numpy.bool_)):
            if not cond:
                raise InvalidType('a condition', 'False')
        else:
            raise TypeError(f'type_check.expect: expected a condition, got {type(cond).__name__}')


def check_composite(func_name: str, names: tuple, inputs: tuple, check) -> None:
    """Type checks of a function composed of other functions (it has no node of its own).

    ``check(*in_types)`` states the expectations with :func:`expect` on the types of
    ``inputs`` (Variables or arrays) named ``names``; a failure is raised as
    :class:`InvalidType` naming ``func_name``, as :class:`~tracegrad.FunctionNode`
    does for its own checks.

    >>> from tracegrad.utils import type_check
    >>> def expect_matrix(x_type):
    ...     type_check.expect(x_type.ndim == 2)
    >>> type_check.check_composite('f', ('x',), (np.zeros(3),), expect_matrix)
    Traceback (most recent call last):
    ...
    tracegrad.utils.type_check.InvalidType: Invalid operation is performed in: f (Forward)
    <BLANKLINE>
    Expect: x.ndim == 2
    Actual: 1 != 2
    """
    from tracegrad.variable import Variable

    data = tuple(a.array if isinstance(a, Variable) else a for a in inputs)
    in_types = get_types(data, 'in_types', False)
    try:
        _argname(in_types, tuple(names))
        check(*in_types)
    except InvalidType as e:
        raise InvalidType(
            e.expect, e.actual,
            msg=f'Invalid operation is performed in: {func_name} (Forward)\n\n{e}') from None


def same_types(*arrays) -> bool:
    """True when all arrays are of one array type (all NumPy, or all CuPy)."""
    return len({type(a) for a in arrays}) <= 1


def expect_broadcast_shapes(*shape_types, **kwargs) -> None:
    """Check that the shapes broadcast together (NumPy's rules)."""
    shapes = [eval(s) for s in shape_types]
    try:
        numpy.broadcast_shapes(*shapes)
    except ValueError:
        raise InvalidType('shapes that broadcast together',
                          ', '.join(str(tuple(s)) for s in shapes)) from None
