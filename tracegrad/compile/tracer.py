"""Tracer arrays: stand-ins for NumPy arrays that record IR nodes instead of computing.

A :class:`TracerArray` has a static shape and dtype and refers to a value of
the graph being traced. It implements the array namespace (``xp`` returned by
``backend.get_array_module`` is :data:`tracer_numpy`), Python operators, and
NumPy's ``__array_ufunc__`` / ``__array_function__`` protocols, so code written
with ``xp.`` or with ``numpy.`` traces alike.

Arrays are mutable like NumPy's: an in-place operation (``a += b``,
``a[...] = b``, ``xp.add.at(a, i, b)``) rebinds the tracer to a new SSA value,
so every alias (a dict entry, an attribute) sees the update; the compiler turns
such updates of state into outputs written back after each call.
"""
from __future__ import annotations

import functools
import itertools
import os
import threading
import traceback
from collections.abc import Sequence
from typing import Any

import numpy

from codegen.ir import Graph, IRError, Value


class CompileError(Exception):
    """A function cannot be compiled: data-dependent control flow or an op without a primitive."""


_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_codegen = os.path.join(os.path.dirname(_here), 'codegen')
_numpy_dir = os.path.dirname(numpy.__file__)


def user_frame() -> str:
    """'file:line: code' of the innermost frame outside tracegrad, codegen and NumPy."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        f = os.path.abspath(frame.filename)
        if not (f.startswith((_here, _codegen, _numpy_dir))):
            return f'{frame.filename}:{frame.lineno}: {frame.line}'
    return '<unknown location>'


def fail(what: str) -> CompileError:
    return CompileError(f'{what}\n  at {user_frame()}')


class TraceContext:
    """The graph being recorded, with a cache of constants."""

    _local = threading.local()

    def __init__(self, device: str = 'numpy'):
        self.graph = Graph()
        self._constants: dict = {}
        self.random_inputs: list = []   # (Value, kind, args) in draw order
        # The array module the traced step will run on ('numpy' or 'cupy'): random draws
        # follow its API (CuPy's take a dtype, NumPy's legacy ones draw float64).
        self.device = device

    @classmethod
    def current(cls) -> TraceContext:
        ctx = getattr(cls._local, 'ctx', None)
        if ctx is None:
            raise CompileError('a tracer array was used outside of tracing')
        return ctx

    def __enter__(self):
        if getattr(TraceContext._local, 'ctx', None) is not None:
            raise CompileError('nested tracing is not supported')
        TraceContext._local.ctx = self
        return self

    def __exit__(self, *exc):
        TraceContext._local.ctx = None

    def add(self, op: str, inputs: Sequence[Value], **attrs) -> Value:
        try:
            return self.graph.add(op, list(inputs), **attrs)
        except IRError as e:
            raise fail(f'{op}: {e}') from None

    def constant(self, value: Any, weak: bool = False) -> TracerArray:
        """A constant scalar or array (NumPy scalars and arrays are baked by value)."""
        arr = numpy.asarray(value)
        if arr.dtype.kind not in 'biuf':
            raise fail(f'cannot trace a constant of dtype {arr.dtype}')
        if arr.dtype == numpy.float16:
            arr = arr.astype(numpy.float32)
        key = (arr.dtype.str, arr.shape, arr.tobytes(), weak)
        tracer = self._constants.get(key)
        if tracer is None:
            if arr.ndim == 0 or bool((arr == arr.flat[0]).all()):
                v = self.add('fill', [], shape=arr.shape, value=arr.flat[0].item() if arr.size
                             else 0, dtype=arr.dtype.name)
            else:
                v = self.add('constant', [], shape=arr.shape, value=tuple(arr.ravel().tolist()),
                             dtype=arr.dtype.name)
            tracer = TracerArray(v, weak=weak)
            self._constants[key] = tracer
        return TracerArray(tracer.value, weak=weak)


def _ctx() -> TraceContext:
    return TraceContext.current()


def _weak_example(dtype: numpy.dtype):
    return {'b': False, 'i': 0, 'u': 0, 'f': 0.0}[dtype.kind]


def as_tracer(x: Any) -> TracerArray:
    """Wrap Python/NumPy scalars and NumPy arrays as constant tracers."""
    if isinstance(x, TracerArray):
        return x
    if isinstance(x, (bool, int, float)) and not isinstance(x, numpy.generic):
        return _ctx().constant(x, weak=True)
    if isinstance(x, (numpy.ndarray, numpy.generic)):
        return _ctx().constant(x)
    from tracegrad.variable import Variable

    if isinstance(x, Variable):
        return as_tracer(x.array)
    raise fail(f'cannot trace a value of type {type(x).__name__}')


def _result_dtype(a: TracerArray, b: TracerArray) -> numpy.dtype:
    if a.weak and not b.weak:
        return numpy.result_type(b.dtype, _weak_example(a.dtype))
    if b.weak and not a.weak:
        return numpy.result_type(a.dtype, _weak_example(b.dtype))
    return numpy.result_type(a.dtype, b.dtype)


def _cast(x: TracerArray, dtype: numpy.dtype) -> TracerArray:
    if x.dtype == dtype:
        return x
    return TracerArray(_ctx().add('cast', [x.value], dtype=numpy.dtype(dtype).name), weak=x.weak)


_FLOAT_ONLY = {'div', 'pow', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan',
               'tanh', 'floor', 'ceil', 'abs', 'asin', 'acos', 'atan', 'atan2', 'atanh', 'sinh',
               'cosh', 'erf', 'erfc', 'erfcx', 'erfinv', 'erfcinv', 'ndtr', 'log_ndtr', 'ndtri',
               'lgamma', 'digamma', 'polygamma', 'zeta'}
_COMPARE = {'gt', 'ge', 'lt', 'le', 'eq', 'ne'}


def binary(op: str, a: Any, b: Any) -> TracerArray:
    a, b = as_tracer(a), as_tracer(b)
    dtype = _result_dtype(a, b)
    if op in _COMPARE or op in ('logical_and', 'logical_or'):
        common = dtype
    else:
        common = dtype
        if op in _FLOAT_ONLY and dtype.kind != 'f':
            common = numpy.dtype('float64')
    v = _ctx().add(op, [_cast(a, common).value, _cast(b, common).value])
    return TracerArray(v, weak=a.weak and b.weak)


def unary(op: str, x: Any) -> TracerArray:
    x = as_tracer(x)
    if op in _FLOAT_ONLY and x.dtype.kind != 'f':
        x = _cast(x, numpy.dtype('float64'))
    return TracerArray(_ctx().add(op, [x.value]), weak=x.weak)


def where(cond: Any, a: Any, b: Any) -> TracerArray:
    cond = as_tracer(cond)
    if cond.dtype != numpy.bool_:
        cond = binary('ne', cond, 0)
    a, b = as_tracer(a), as_tracer(b)
    dtype = _result_dtype(a, b)
    v = _ctx().add('where', [cond.value, _cast(a, dtype).value, _cast(b, dtype).value])
    return TracerArray(v, weak=a.weak and b.weak)


def _norm_axes(axis, ndim: int) -> tuple | None:
    if axis is None:
        return None
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise fail(f'axis {a} is out of range for {ndim} dimensions')
        out.append(a % ndim)
    return tuple(out)


def reduce(op: str, x: Any, axis=None, keepdims: bool = False, dtype=None) -> TracerArray:
    x = as_tracer(x)
    if op == 'sum' and x.dtype.kind in 'bi' and dtype is None:
        x = _cast(x, numpy.dtype('int64'))
    if dtype is not None:
        x = _cast(x, numpy.dtype(dtype))
    axes = _norm_axes(axis, x.ndim)
    if axes == ():
        return x
    return TracerArray(_ctx().add(op, [x.value], axes=axes, keepdims=bool(keepdims)),
                       weak=x.weak)


def mean(x: Any, axis=None, keepdims: bool = False, dtype=None) -> TracerArray:
    x = as_tracer(x)
    if x.dtype.kind != 'f' and dtype is None:
        x = _cast(x, numpy.dtype('float64'))
    axes = _norm_axes(axis, x.ndim)
    n = 1
    for a in (range(x.ndim) if axes is None else axes):
        n *= x.shape[a]
    total = reduce('sum', x, axis, keepdims, dtype)
    return total / n if n else total


def arg_reduce(op: str, x: Any, axis=None, keepdims: bool = False) -> TracerArray:
    x = as_tracer(x)
    if axis is None:
        x = reshape(x, (x.size,))
        axis = 0
    axes = _norm_axes(axis, x.ndim)
    return TracerArray(_ctx().add(op, [x.value], axes=axes, keepdims=bool(keepdims)))


def reshape(x: Any, shape) -> TracerArray:
    x = as_tracer(x)
    if isinstance(shape, (int, numpy.integer)):
        shape = (int(shape),)
    shape = [int(s) for s in shape]
    if shape.count(-1) > 1:
        raise fail(f'reshape: at most one -1 in {tuple(shape)}')
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        shape[shape.index(-1)] = x.size // known if known else 0
    shape = tuple(shape)
    if shape == x.shape:
        return x
    return TracerArray(_ctx().add('reshape', [x.value], shape=shape), weak=x.weak, base=x)


def transpose(x: Any, axes=None) -> TracerArray:
    x = as_tracer(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(int(a) % x.ndim for a in axes) if x.ndim else ()
    if axes == tuple(range(x.ndim)):
        return x
    return TracerArray(_ctx().add('transpose', [x.value], axes=axes), weak=x.weak, base=x)


def broadcast_to(x: Any, shape) -> TracerArray:
    x = as_tracer(x)
    shape = tuple(int(s) for s in shape)
    if shape == x.shape:
        return x
    return TracerArray(_ctx().add('broadcast_to', [x.value], shape=shape), weak=x.weak, base=x)


def matmul(a: Any, b: Any) -> TracerArray:
    a, b = as_tracer(a), as_tracer(b)
    dtype = _result_dtype(a, b)
    a, b = _cast(a, dtype), _cast(b, dtype)
    squeeze_a = a.ndim == 1
    squeeze_b = b.ndim == 1
    if squeeze_a:
        a = reshape(a, (1, a.shape[0]))
    if squeeze_b:
        b = reshape(b, (b.shape[0], 1))
    y = TracerArray(_ctx().add('matmul', [a.value, b.value]))
    if squeeze_a or squeeze_b:
        shape = y.shape[:-2] + (() if squeeze_a else (y.shape[-2],)) + \
            (() if squeeze_b else (y.shape[-1],))
        y = reshape(y, shape)
    return y


def concatenate(xs: Sequence, axis: int = 0) -> TracerArray:
    xs = [as_tracer(x) for x in xs]
    dtype = numpy.result_type(*[x.dtype for x in xs])
    if axis is None:
        xs = [reshape(x, (x.size,)) for x in xs]
        axis = 0
    if len(xs) == 1:
        return xs[0]
    return TracerArray(_ctx().add('concat', [_cast(x, dtype).value for x in xs], axis=int(axis)))


def stack(xs: Sequence, axis: int = 0) -> TracerArray:
    xs = [as_tracer(x) for x in xs]
    ndim = xs[0].ndim + 1
    axis = int(axis) % ndim
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def expand_dims(x: Any, axis) -> TracerArray:
    x = as_tracer(x)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = x.ndim + len(axes)
    axes = sorted(int(a) % ndim for a in axes)
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return reshape(x, shape)


def squeeze(x: Any, axis=None) -> TracerArray:
    x = as_tracer(x)
    if axis is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    else:
        axes = _norm_axes(axis, x.ndim)
        for a in axes:
            if x.shape[a] != 1:
                raise fail(f'squeeze: axis {a} has size {x.shape[a]}, not 1')
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def slice_(x: TracerArray, begin, end, step) -> TracerArray:
    v = _ctx().add('slice', [x.value], begin=tuple(begin), end=tuple(end), step=tuple(step))
    return TracerArray(v, weak=x.weak, base=x)


def pad(x: Any, pad_width, mode: str = 'constant', constant_values=0) -> TracerArray:
    x = as_tracer(x)
    if mode != 'constant':
        raise fail(f'pad: only mode="constant" has a primitive, got {mode!r}')
    pw = numpy.broadcast_to(numpy.asarray(pad_width, dtype=numpy.int64), (x.ndim, 2))
    if isinstance(constant_values, (tuple, list)):
        raise fail('pad: only a scalar constant_values is supported')
    pw = tuple((int(lo), int(hi)) for lo, hi in pw)
    if all(lo == 0 and hi == 0 for lo, hi in pw):
        return x
    return TracerArray(_ctx().add('pad', [x.value], pad_width=pw,
                                  value=float(constant_values)))


def take(x: Any, indices: Any, axis=None) -> TracerArray:
    x = as_tracer(x)
    idx = as_tracer(indices)
    if axis is None:
        x = reshape(x, (x.size,))
        axis = 0
    return TracerArray(_ctx().add('take', [x.value, idx.value], axis=int(axis) % x.ndim))


def take_along_axis(x: Any, indices: Any, axis: int) -> TracerArray:
    x = as_tracer(x)
    idx = as_tracer(indices)
    return TracerArray(_ctx().add('take_along_axis', [x.value, idx.value],
                                  axis=int(axis) % x.ndim))


def full(shape, value, dtype=None) -> TracerArray:
    if isinstance(shape, (int, numpy.integer)):
        shape = (int(shape),)
    if isinstance(value, TracerArray):
        dtype = numpy.dtype(dtype or value.dtype)
        return broadcast_to(_cast(value, dtype), tuple(shape))
    dtype = numpy.dtype(dtype if dtype is not None else numpy.asarray(value).dtype)
    v = _ctx().add('fill', [], shape=tuple(int(s) for s in shape),
                   value=numpy.asarray(value).astype(dtype).item(), dtype=dtype.name)
    return TracerArray(v)


def add_at(target: TracerArray, indices: Any, updates: Any) -> None:
    """``xp.add.at(target, indices, updates)``.

    Supported keys: basic indexing (ints, slices, None, Ellipsis: no repeats, so this
    is ``target[key] += updates``), and one integer index array on one axis with
    full slices elsewhere (repeats accumulate: a scatter-add).
    """
    if not isinstance(target, TracerArray):
        raise fail('add.at: the target must be a traced array')
    key = indices if isinstance(indices, tuple) else (indices,)
    arrays = [k for k, v in enumerate(key) if isinstance(v, (TracerArray, numpy.ndarray, list))]
    if not arrays:
        scattered = _scatter_basic(target.shape, key, _cast(as_tracer(updates), target.dtype))
        target._assign(binary('add', target, scattered))
        return
    expanded = _expand_ellipsis(key, target.ndim)
    axis = next(k for k, v in enumerate(expanded) if isinstance(v, (TracerArray, numpy.ndarray,
                                                                    list)))
    if len(arrays) != 1 or any(not (isinstance(v, slice) and v == slice(None))
                               for k, v in enumerate(expanded) if k != axis):
        raise fail('add.at: only one integer index array, with full slices elsewhere, '
                   'is supported')
    idx = as_tracer(numpy.asarray(expanded[axis]) if isinstance(expanded[axis], list)
                    else expanded[axis])
    if idx.dtype.kind not in 'iu':
        raise fail('add.at: indices must be integers')
    upd = broadcast_to(_cast(as_tracer(updates), target.dtype),
                       target.shape[:axis] + idx.shape + target.shape[axis + 1:])
    scattered = TracerArray(_ctx().add('scatter_add', [idx.value, upd.value],
                                       shape=target.shape, axis=axis))
    target._assign(binary('add', target, scattered))


def _expand_ellipsis(key: tuple, ndim: int) -> tuple:
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    dots = [i for i, k in enumerate(key) if k is Ellipsis]  # `in` would compare arrays
    if dots:
        i = dots[0]
        return key[:i] + (slice(None),) * (ndim - n_real) + key[i + 1:]
    return key + (slice(None),) * (ndim - n_real)


def _scatter_basic(shape: tuple, key: tuple, upd: TracerArray) -> TracerArray:
    """An array of ``shape``, zero except ``out[key] = upd`` (ints, slices, None, ...).

    Built functionally: each sliced axis is spread by its step (interleaving zeros)
    and padded into place, so no primitive writes into part of an array.
    """
    key = _expand_ellipsis(key, len(shape))
    region = getitem(TracerArray(_ctx().add('fill', [], shape=shape, value=0,
                                            dtype=upd.dtype.name)), key)
    upd = broadcast_to(upd, region.shape)
    # drop the axes that None added, then restore those that ints removed
    squeeze_axes = [i for i, k in enumerate(k for k in key if not isinstance(
        k, (int, numpy.integer))) if k is None]
    if squeeze_axes:
        upd = reshape(upd, tuple(s for i, s in enumerate(upd.shape) if i not in squeeze_axes))
    real = [k for k in key if k is not None]
    full_shape = []
    dim = 0
    for k in real:
        full_shape.append(1 if isinstance(k, (int, numpy.integer)) else None)
    it = iter(upd.shape)
    full_shape = tuple(1 if f == 1 else next(it) for f in full_shape)
    out = reshape(upd, full_shape)
    pad_width = []
    for dim, k in enumerate(real):
        n = shape[dim]
        if isinstance(k, (int, numpy.integer)):
            i = int(k) % n
            pad_width.append((i, n - i - 1))
            continue
        start, _, step = k.indices(n)
        m = out.shape[dim]
        if m == 0:
            return TracerArray(_ctx().add('fill', [], shape=shape, value=0,
                                          dtype=upd.dtype.name))
        if step < 0:  # write the reversed run forwards
            rev = [slice(None)] * out.ndim
            rev[dim] = slice(None, None, -1)
            out = getitem(out, tuple(rev))
            start, step = start + (m - 1) * step, -step
        if step > 1:  # interleave step-1 zeros after each element, drop the trailing ones
            spread = expand_dims(out, dim + 1)
            widths = [(0, 0)] * spread.ndim
            widths[dim + 1] = (0, step - 1)
            spread = pad(spread, widths)
            merged = list(out.shape)
            merged[dim] = m * step
            out = reshape(spread, merged)
            cut = [slice(None)] * out.ndim
            cut[dim] = slice(0, (m - 1) * step + 1)
            out = getitem(out, tuple(cut))
        span = out.shape[dim]
        pad_width.append((start, n - start - span))
    return pad(out, pad_width)


def _defers_to_variables(operator):
    """A binary operator that returns NotImplemented for a Variable operand, so Python
    calls the Variable's reflected operator."""
    @functools.wraps(operator)
    def method(self, other):
        from tracegrad.variable import Variable

        if isinstance(other, Variable):
            return NotImplemented
        return operator(self, other)
    return method


class TracerArray:
    """A traced array: shape and dtype are real, values are symbolic."""

    __array_priority__ = 1000
    __slots__ = ('__weakref__', '_initial', 'base', 'value', 'weak')

    def __init__(self, value: Value, weak: bool = False, base: TracerArray | None = None):
        self.value = value
        self.weak = weak
        self.base = base
        self._initial = None  # for state inputs: the value they started with

    # -- metadata --
    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def dtype(self) -> numpy.dtype:
        return numpy.dtype(self.value.dtype)

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def T(self) -> TracerArray:
        return transpose(self)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError('len() of a 0-d traced array')
        return self.shape[0]

    def __repr__(self) -> str:
        return f'TracerArray({self.value}: {self.value.type_text})'

    # -- things that need values --
    def __bool__(self):
        raise fail('data-dependent control flow: the truth value of a traced array is unknown '
                   'while compiling (use xp.where, or fallback="eager")')

    def __float__(self):
        raise fail('float() of a traced array needs its value, which is unknown while compiling')

    def __int__(self):
        raise fail('int() of a traced array needs its value, which is unknown while compiling')

    __index__ = __int__

    def item(self):
        raise fail('.item() of a traced array needs its value, which is unknown while compiling')

    def tolist(self):
        raise fail('.tolist() of a traced array needs its values, unknown while compiling')

    def __array__(self, dtype=None, copy=None):
        raise fail('converting a traced array to a NumPy array needs its values; use the array '
                   'namespace (xp = backend.get_array_module(x)) instead of numpy here')

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # -- in place: rebind to a new value so that every alias sees it --
    def _assign(self, new: Any) -> TracerArray:
        if self.base is not None:
            raise fail('an in-place update of a view (a slice, reshape or transpose) cannot be '
                       'compiled; update the whole array instead')
        new = broadcast_to(_cast(as_tracer(new), self.dtype), self.shape)
        self.value = new.value
        return self

    def fill(self, value) -> None:
        self._assign(full(self.shape, value, self.dtype))

    def __setitem__(self, key, value) -> None:
        if key is Ellipsis or key == slice(None) or (
                isinstance(key, tuple) and all(k is Ellipsis or k == slice(None) for k in key)):
            self._assign(value)
            return
        raise fail('assignment into part of a traced array has no primitive; use xp.where or '
                   'build the array functionally')

    # -- operators --
    # ``array + variable`` is a Variable in eager code (NumPy defers to the Variable's
    # reflected operator, as its __array_priority__ asks): traced arrays defer too, or the
    # gradient to the Variable would be lost.
    @_defers_to_variables
    def __add__(self, o): return binary('add', self, o)
    def __radd__(self, o): return binary('add', o, self)
    @_defers_to_variables
    def __sub__(self, o): return binary('sub', self, o)
    def __rsub__(self, o): return binary('sub', o, self)
    @_defers_to_variables
    def __mul__(self, o): return binary('mul', self, o)
    def __rmul__(self, o): return binary('mul', o, self)
    @_defers_to_variables
    def __truediv__(self, o): return binary('div', self, o)
    def __rtruediv__(self, o): return binary('div', o, self)
    @_defers_to_variables
    def __pow__(self, o): return binary('pow', self, o)
    def __rpow__(self, o): return binary('pow', o, self)
    @_defers_to_variables
    def __matmul__(self, o): return matmul(self, o)
    def __rmatmul__(self, o): return matmul(o, self)
    def __neg__(self): return unary('neg', self)
    def __pos__(self): return self
    def __abs__(self): return unary('abs', self) if self.dtype.kind == 'f' else \
        where(binary('lt', self, 0), unary('neg', self), self)
    def __gt__(self, o): return binary('gt', self, o)
    def __ge__(self, o): return binary('ge', self, o)
    def __lt__(self, o): return binary('lt', self, o)
    def __le__(self, o): return binary('le', self, o)
    def __eq__(self, o): return binary('eq', self, o)  # type: ignore[override]
    def __ne__(self, o): return binary('ne', self, o)  # type: ignore[override]
    def __and__(self, o): return binary('logical_and', self, o)
    def __or__(self, o): return binary('logical_or', self, o)
    def __invert__(self): return unary('logical_not', self)
    __hash__ = object.__hash__

    @_defers_to_variables
    def __floordiv__(self, o):
        return unary('floor', binary('div', self, o))

    def __rfloordiv__(self, o):
        return unary('floor', binary('div', o, self))

    def __iadd__(self, o): return self._assign(binary('add', self, o))
    def __isub__(self, o): return self._assign(binary('sub', self, o))
    def __imul__(self, o): return self._assign(binary('mul', self, o))
    def __itruediv__(self, o): return self._assign(binary('div', self, o))
    def __ipow__(self, o): return self._assign(binary('pow', self, o))

    # -- methods --
    def sum(self, axis=None, dtype=None, keepdims=False):
        return reduce('sum', self, axis, keepdims, dtype)

    def max(self, axis=None, keepdims=False):
        return reduce('max', self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return reduce('min', self, axis, keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return mean(self, axis, keepdims, dtype)

    def argmax(self, axis=None, keepdims=False):
        return arg_reduce('argmax', self, axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        return arg_reduce('argmin', self, axis, keepdims)

    def reshape(self, *shape, order='C'):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return transpose(self, axes or None)

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return transpose(self, axes)

    def ravel(self):
        return reshape(self, (self.size,))

    flatten = ravel

    def squeeze(self, axis=None):
        return squeeze(self, axis)

    def astype(self, dtype, copy=True, **kwargs):
        return _cast(self, numpy.dtype(dtype)) if numpy.dtype(dtype) != self.dtype else (
            TracerArray(self.value, self.weak) if copy else self)

    def copy(self, order='C'):
        return TracerArray(self.value, self.weak)

    def clip(self, a_min=None, a_max=None):
        return tracer_numpy.clip(self, a_min, a_max)

    def dot(self, other):
        return matmul(self, other)

    def __getitem__(self, key):
        return getitem(self, key)

    # -- NumPy protocols --
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.pop('out', None)
        if method == 'at' and ufunc is numpy.add:
            add_at(*inputs)
            return None
        if method == 'reduce':
            name = {'add': 'sum', 'maximum': 'max', 'minimum': 'min'}.get(ufunc.__name__)
            if name is None:
                raise fail(f'numpy.{ufunc.__name__}.reduce has no primitive')
            return reduce(name, inputs[0], kwargs.get('axis', 0), kwargs.get('keepdims', False))
        if method != '__call__':
            raise fail(f'numpy.{ufunc.__name__}.{method} has no primitive')
        fn = getattr(tracer_numpy, ufunc.__name__, None)
        if fn is None and ufunc.__name__ in vars(_TracerSpecial):  # scipy.special's ufuncs
            fn = getattr(tracer_special, ufunc.__name__)
        if fn is None or kwargs.get('where', True) is not True:
            raise fail(f'numpy.{ufunc.__name__} has no primitive')
        result = fn(*inputs, **{k: v for k, v in kwargs.items() if k == 'dtype'})
        if out is not None:
            target = out[0] if isinstance(out, tuple) else out
            if not isinstance(target, TracerArray):
                raise fail(f'numpy.{ufunc.__name__}(out=...) into a NumPy array of values the '
                           f'compiler does not track')
            return target._assign(result)
        return result

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        fn = getattr(tracer_numpy, name, None) if getattr(numpy, name, None) is func else None
        if fn is None or not callable(fn) or isinstance(fn, type):
            module = getattr(func, '__module__', None) or 'numpy'
            raise fail(f'{module}.{name} has no IR primitive')
        return fn(*args, **kwargs)


def getitem(x: TracerArray, key) -> TracerArray:
    """Basic indexing (ints, slices, None, Ellipsis) and integer-array indexing."""
    if not isinstance(key, tuple):
        key = (key,)
    # advanced (integer array) indices
    if any(isinstance(k, (TracerArray, numpy.ndarray, list)) for k in key):
        return _advanced_getitem(x, key)
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > x.ndim:
        raise fail(f'too many indices ({n_real}) for an array of {x.ndim} dimensions')
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (x.ndim - n_real) + key[i + 1:]
    else:
        key = key + (slice(None),) * (x.ndim - n_real)
    begin, end, step, out_shape = [], [], [], []
    dim = 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        size = x.shape[dim]
        if isinstance(k, slice):
            b, e, s = k.indices(size)
            out_shape.append(len(range(b, e, s)))
            if e < 0:  # a negative step past index 0; -1 would read as "the last element"
                e = -size - 1
            begin.append(b)
            end.append(e)
            step.append(s)
        elif isinstance(k, (int, numpy.integer)):
            i = int(k)
            if not -size <= i < size:
                raise fail(f'index {i} is out of bounds for axis {dim} with size {size}')
            i %= size
            begin.append(i)
            end.append(i + 1)
            step.append(1)
        else:
            raise fail(f'indexing with {type(k).__name__} has no primitive')
        dim += 1
    y = x
    if (tuple(begin), tuple(end), tuple(step)) != ((0,) * x.ndim, x.shape, (1,) * x.ndim):
        y = slice_(x, begin, end, step)
    return reshape(y, tuple(out_shape)) if tuple(out_shape) != y.shape else y


def _is_row_numbers(t: TracerArray, n: int) -> bool:
    """True when ``t`` is the constant 0, 1, ..., n-1 (``xp.arange(n)``)."""
    node = t.value.producer
    if t.shape != (n,) or node is None:
        return False
    if node.op == 'iota':
        return True
    return node.op == 'constant' and tuple(node.attrs['value']) == tuple(range(n))


def _advanced_getitem(x: TracerArray, key: tuple) -> TracerArray:
    """Integer-array indices on the leading axes (e.g. ``x[arange(n), t]``)."""
    k = 0
    while k < len(key) and isinstance(key[k], (TracerArray, numpy.ndarray, list)):
        k += 1
    if any(not (isinstance(rest, slice) and rest == slice(None)) for rest in key[k:]):
        raise fail('integer-array indexing is supported on leading axes only, followed by ":"')
    idx = [as_tracer(numpy.asarray(i) if isinstance(i, list) else i) for i in key[:k]]
    for i in idx:
        if i.dtype.kind == 'b':
            raise fail('boolean-mask indexing gives a data-dependent shape and cannot be compiled')
        if i.dtype.kind not in 'iu':
            raise fail('index arrays must be integers')
    if k == 2 and _is_row_numbers(idx[0], x.shape[0]) and idx[1].shape == (x.shape[0],):
        # x[arange(n), t]: one element per row, the gather of cross-entropy losses
        picked = take_along_axis(x, reshape(idx[1], (x.shape[0], 1)), axis=1)
        return reshape(picked, (x.shape[0],) + x.shape[2:])
    shape = tuple(numpy.broadcast_shapes(*(i.shape for i in idx)))
    flat = None
    for axis, i in enumerate(idx):
        size = x.shape[axis]
        i = _cast(i, numpy.dtype('int64'))
        i = where(binary('lt', i, 0), binary('add', i, size), i)  # negative indices
        flat = i if flat is None else binary('add', binary('mul', flat, size), i)
    flat = broadcast_to(flat, shape)
    lead = 1
    for s in x.shape[:k]:
        lead *= s
    base = reshape(x, (lead,) + x.shape[k:])
    return take(base, flat, axis=0)


class _TracedUfunc:
    """``xp.add`` and friends: callable, with ``.at`` where it has a primitive."""

    def __init__(self, name: str, fn):
        self.__name__ = name
        self._fn = fn

    def __call__(self, *args, **kwargs):
        out = kwargs.pop('out', None)
        result = self._fn(*args, **kwargs)
        if out is not None:
            return (out[0] if isinstance(out, tuple) else out)._assign(result)
        return result

    def at(self, target, indices, updates=None):
        if self.__name__ != 'add':
            raise fail(f'{self.__name__}.at has no primitive')
        add_at(target, indices, updates)

    def reduce(self, x, axis=0, keepdims=False):
        name = {'add': 'sum', 'maximum': 'max', 'minimum': 'min'}.get(self.__name__)
        if name is None:
            raise fail(f'{self.__name__}.reduce has no primitive')
        return reduce(name, x, axis, keepdims)


class _TracerRandom:
    """``xp.random`` while tracing: each draw becomes a graph input filled at call time.

    It follows the random API of the module the step will run on: tracing for CuPy,
    draws take a ``dtype`` (float32 or float64) as ``cupy.random`` does; tracing for
    NumPy, they draw float64 as NumPy's global ``numpy.random`` does.
    """

    @property
    def takes_dtype(self) -> bool:
        """Whether draws take a ``dtype`` (True when tracing for CuPy)."""
        return _ctx().device == 'cupy'

    def _draw(self, kind: str, args: tuple, shape, dtype) -> TracerArray:
        ctx = _ctx()
        if dtype is None:
            dtype = 'float64'
        elif ctx.device != 'cupy':
            raise TypeError(f'numpy.random.{kind}() got an unexpected keyword argument '
                            f"'dtype' (NumPy's global random draws are float64)")
        elif numpy.dtype(dtype) not in (numpy.float32, numpy.float64):
            raise TypeError(f'cupy.random.{kind}: dtype must be float32 or float64, '
                            f'got {numpy.dtype(dtype)}')
        shape = () if shape is None else ((int(shape),) if isinstance(shape, (int, numpy.integer))
                                          else tuple(int(s) for s in shape))
        v = ctx.graph.input(shape, numpy.dtype(dtype).name, name=f'random{len(ctx.random_inputs)}')
        ctx.random_inputs.append((v, kind, args))
        return TracerArray(v)

    def rand(self, *shape, dtype=None):
        return self._draw('rand', (), shape, dtype)

    def random_sample(self, size=None, dtype=None):
        return self._draw('random_sample', (), size, dtype)

    random = random_sample

    def uniform(self, low=0.0, high=1.0, size=None, dtype=None):
        return self._draw('uniform', (float(low), float(high)), size, dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=None):
        return self._draw('normal', (float(loc), float(scale)), size, dtype)

    def standard_normal(self, size=None, dtype=None):
        return self._draw('standard_normal', (), size, dtype)

    def randn(self, *shape, dtype=None):
        return self._draw('randn', (), shape, dtype)

    def __getattr__(self, name):
        raise fail(f'numpy.random.{name} cannot be traced yet')


class _TracerNumpy:
    """The array namespace of tracer arrays (``xp`` while tracing)."""

    __name__ = 'tracegrad.tracer_numpy'
    takes_numpy = True  # NumPy arrays combine with traced ones (they become constants)
    random = _TracerRandom()
    newaxis = None

    def __getattr__(self, name: str):
        attr = getattr(numpy, name, None)
        if attr is None:
            raise AttributeError(name)
        if isinstance(attr, type) or not callable(attr):  # dtypes, constants, finfo...
            return attr
        if name in ('dtype', 'finfo', 'iinfo', 'result_type', 'promote_types', 'isscalar',
                    'can_cast', 'issubdtype', 'broadcast_shapes', 'ndim', 'shape'):
            return attr

        def missing(*args, **kwargs):
            raise fail(f'numpy.{name} has no IR primitive')
        return missing

    # elementwise
    def exp(self, x, **kw): return unary('exp', x)
    def log(self, x, **kw): return unary('log', x)
    def log1p(self, x, **kw): return unary('log1p', x)
    def expm1(self, x, **kw): return unary('expm1', x)
    def sqrt(self, x, **kw): return unary('sqrt', x)
    def sin(self, x, **kw): return unary('sin', x)
    def cos(self, x, **kw): return unary('cos', x)
    def tan(self, x, **kw): return unary('tan', x)
    def tanh(self, x, **kw): return unary('tanh', x)
    def floor(self, x, **kw): return unary('floor', x)
    def ceil(self, x, **kw): return unary('ceil', x)
    def sign(self, x, **kw): return unary('sign', x)
    def negative(self, x, **kw): return unary('neg', x)
    def logical_not(self, x, **kw): return unary('logical_not', x)
    def square(self, x, **kw): return binary('mul', x, x)
    def reciprocal(self, x, **kw): return binary('div', 1.0, x)
    def log2(self, x, **kw): return binary('div', unary('log', x), float(numpy.log(2)))
    def log10(self, x, **kw): return binary('div', unary('log', x), float(numpy.log(10)))
    def fix(self, x, **kw): return where(binary('ge', x, 0), unary('floor', x), unary('ceil', x))
    def arcsin(self, x, **kw): return unary('asin', x)
    def arccos(self, x, **kw): return unary('acos', x)
    def arctan(self, x, **kw): return unary('atan', x)
    def arctanh(self, x, **kw): return unary('atanh', x)
    def sinh(self, x, **kw): return unary('sinh', x)
    def cosh(self, x, **kw): return unary('cosh', x)
    def arctan2(self, a, b, **kw): return binary('atan2', a, b)

    def fmod(self, a, b, **kw):
        if as_tracer(a).dtype.kind != 'f' and as_tracer(b).dtype.kind != 'f':
            raise fail('numpy.fmod of integers has no IR primitive (only of floats)')
        return binary('fmod', a, b)

    def abs(self, x, **kw):
        return as_tracer(x).__abs__()

    absolute = abs

    def maximum(self, a, b, **kw): return binary('maximum', a, b)
    def minimum(self, a, b, **kw): return binary('minimum', a, b)
    def power(self, a, b, **kw): return binary('pow', a, b)
    def greater(self, a, b, **kw): return binary('gt', a, b)
    def greater_equal(self, a, b, **kw): return binary('ge', a, b)
    def less(self, a, b, **kw): return binary('lt', a, b)
    def less_equal(self, a, b, **kw): return binary('le', a, b)
    def equal(self, a, b, **kw): return binary('eq', a, b)
    def not_equal(self, a, b, **kw): return binary('ne', a, b)
    def logical_and(self, a, b, **kw): return binary('logical_and', a, b)
    def logical_or(self, a, b, **kw): return binary('logical_or', a, b)
    def true_divide(self, a, b, **kw): return binary('div', a, b)
    divide = true_divide
    def floor_divide(self, a, b, **kw): return unary('floor', binary('div', a, b))

    def clip(self, x, a_min=None, a_max=None, **kw):
        y = as_tracer(x)
        if a_min is not None:
            y = binary('maximum', y, a_min)
        if a_max is not None:
            y = binary('minimum', y, a_max)
        return y

    def where(self, cond, a=None, b=None):
        if a is None or b is None:
            raise fail('numpy.where(cond) gives a data-dependent shape and cannot be compiled')
        return where(cond, a, b)

    def __init__(self):
        for name, op in (('add', 'add'), ('subtract', 'sub'), ('multiply', 'mul')):
            setattr(self, name, _TracedUfunc(name, functools.partial(binary, op)))

    # reductions
    def sum(self, x, axis=None, dtype=None, keepdims=False, **kw):
        return reduce('sum', x, axis, keepdims, dtype)

    def max(self, x, axis=None, keepdims=False, **kw):
        return reduce('max', x, axis, keepdims)

    amax = max

    def min(self, x, axis=None, keepdims=False, **kw):
        return reduce('min', x, axis, keepdims)

    amin = min

    def mean(self, x, axis=None, dtype=None, keepdims=False, **kw):
        return mean(x, axis, keepdims, dtype)

    def argmax(self, x, axis=None, keepdims=False, **kw):
        return arg_reduce('argmax', x, axis, keepdims)

    def argmin(self, x, axis=None, keepdims=False, **kw):
        return arg_reduce('argmin', x, axis, keepdims)

    # linear algebra
    def matmul(self, a, b, **kw): return matmul(a, b)
    dot = matmul

    def tensordot(self, a, b, axes=2):
        a, b = as_tracer(a), as_tracer(b)
        if isinstance(axes, int):
            axes_a = list(range(a.ndim - axes, a.ndim))
            axes_b = list(range(axes))
        else:
            axes_a = [int(i) % a.ndim for i in (axes[0] if isinstance(axes[0], (list, tuple))
                                                else [axes[0]])]
            axes_b = [int(i) % b.ndim for i in (axes[1] if isinstance(axes[1], (list, tuple))
                                                else [axes[1]])]
        free_a = [i for i in range(a.ndim) if i not in axes_a]
        free_b = [i for i in range(b.ndim) if i not in axes_b]
        k = 1
        for i in axes_a:
            k *= a.shape[i]
        am = reshape(transpose(a, free_a + axes_a), (-1, k))
        bm = reshape(transpose(b, axes_b + free_b), (k, -1))
        return reshape(matmul(am, bm), tuple(a.shape[i] for i in free_a) +
                       tuple(b.shape[i] for i in free_b))

    # layout
    def reshape(self, x, shape, order='C'): return reshape(x, shape)
    def transpose(self, x, axes=None): return transpose(x, axes)
    def broadcast_to(self, x, shape): return broadcast_to(x, shape)
    def expand_dims(self, x, axis): return expand_dims(x, axis)
    def squeeze(self, x, axis=None): return squeeze(x, axis)
    def concatenate(self, xs, axis=0, **kw): return concatenate(xs, axis)
    def stack(self, xs, axis=0, **kw): return stack(xs, axis)
    def pad(self, x, pad_width, mode='constant', **kw): return pad(x, pad_width, mode, **kw)
    def take(self, x, indices, axis=None, **kw): return take(x, indices, axis)
    def take_along_axis(self, x, indices, axis): return take_along_axis(x, indices, axis)
    def ravel(self, x): return reshape(x, (as_tracer(x).size,))

    def swapaxes(self, x, a, b):
        return as_tracer(x).swapaxes(a, b)

    def moveaxis(self, x, source, destination):
        x = as_tracer(x)
        src = [int(s) % x.ndim for s in (source if isinstance(source, (list, tuple))
                                          else [source])]
        dst = [int(d) % x.ndim for d in (destination if isinstance(destination, (list, tuple))
                                          else [destination])]
        order = [i for i in range(x.ndim) if i not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return transpose(x, order)

    def split(self, x, indices_or_sections, axis=0):
        x = as_tracer(x)
        axis = int(axis) % x.ndim
        n = x.shape[axis]
        if isinstance(indices_or_sections, (int, numpy.integer)):
            step = n // int(indices_or_sections)
            bounds = list(range(step, n, step))[:int(indices_or_sections) - 1]
        else:
            bounds = [int(i) for i in indices_or_sections]
        edges = [0] + bounds + [n]
        out = []
        for lo, hi in itertools.pairwise(edges):
            key = [slice(None)] * x.ndim
            key[axis] = slice(lo, hi)
            out.append(getitem(x, tuple(key)))
        return out

    def repeat(self, x, repeats, axis=None):
        x = as_tracer(x)
        if axis is None:
            x = reshape(x, (x.size,))
            axis = 0
        axis = int(axis) % x.ndim
        if not isinstance(repeats, (int, numpy.integer)):
            raise fail('repeat: only an integer repeat count is supported')
        y = expand_dims(x, axis + 1)
        shape = list(y.shape)
        shape[axis + 1] = int(repeats)
        y = broadcast_to(y, shape)
        out = list(x.shape)
        out[axis] *= int(repeats)
        return reshape(y, out)

    def tile(self, x, reps):
        x = as_tracer(x)
        reps = (reps,) if isinstance(reps, (int, numpy.integer)) else tuple(reps)
        ndim = max(x.ndim, len(reps))
        x = reshape(x, (1,) * (ndim - x.ndim) + x.shape)
        reps = (1,) * (ndim - len(reps)) + reps
        y = reshape(x, sum(((1, s) for s in x.shape), ()))
        y = broadcast_to(y, sum(((r, s) for r, s in zip(reps, x.shape)), ()))
        return reshape(y, tuple(r * s for r, s in zip(reps, x.shape)))

    def flip(self, x, axis=None):
        x = as_tracer(x)
        axes = range(x.ndim) if axis is None else _norm_axes(axis, x.ndim)
        key = [slice(None)] * x.ndim
        for a in axes:
            key[a] = slice(None, None, -1)
        return getitem(x, tuple(key))

    def cumsum(self, x, axis=None, dtype=None):
        x = as_tracer(x)
        if axis is None:
            x = reshape(x, (x.size,))
            axis = 0
        axis = int(axis) % x.ndim
        n = x.shape[axis]
        # lower-triangular ones along the axis: a GEMM does the running sum
        tri = numpy.tril(numpy.ones((n, n), dtype=x.dtype if x.dtype.kind == 'f' else 'float64'))
        moved = self.moveaxis(x, axis, -1)
        out = matmul(_cast(moved, numpy.dtype(tri.dtype)), _ctx().constant(tri.T))
        return self.moveaxis(_cast(out, x.dtype if dtype is None else numpy.dtype(dtype)),
                             -1, axis)

    # creation
    def asarray(self, x, dtype=None, **kw):
        t = as_tracer(x)
        return _cast(t, numpy.dtype(dtype)) if dtype is not None else t

    array = asarray
    ascontiguousarray = asarray

    def copy(self, x, **kw):
        return as_tracer(x).copy()

    def zeros(self, shape, dtype=float, **kw): return full(shape, 0, dtype)
    def ones(self, shape, dtype=float, **kw): return full(shape, 1, dtype)
    def empty(self, shape, dtype=float, **kw): return full(shape, 0, dtype)

    def full(self, shape, fill_value, dtype=None, **kw):
        return full(shape, fill_value, dtype)

    def zeros_like(self, x, dtype=None, **kw):
        x = as_tracer(x)
        return full(x.shape, 0, dtype or x.dtype)

    empty_like = zeros_like

    def ones_like(self, x, dtype=None, **kw):
        x = as_tracer(x)
        return full(x.shape, 1, dtype or x.dtype)

    def full_like(self, x, fill_value, dtype=None, **kw):
        x = as_tracer(x)
        return full(x.shape, fill_value, dtype or x.dtype)

    def arange(self, *args, dtype=None, **kw):
        return _ctx().constant(numpy.arange(*args, dtype=dtype))

    def identity(self, n, dtype=float):
        return _ctx().constant(numpy.identity(n, dtype=dtype))

    eye = identity

    def copyto(self, dst, src, **kw):
        if not isinstance(dst, TracerArray):
            raise fail('copyto into a NumPy array that the compiler does not track')
        dst._assign(src)


tracer_numpy = _TracerNumpy()


class _TracerSpecial:
    """``scipy.special`` while tracing (what ``backend.get_special_module`` returns for
    the tracer): SciPy's names and dtype rules (integers compute in float64)."""

    __name__ = 'tracegrad.tracer_special'

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)

        def missing(*args, **kwargs):
            raise fail(f'scipy.special.{name} has no IR primitive')
        return missing

    def erf(self, x): return unary('erf', x)
    def erfc(self, x): return unary('erfc', x)
    def erfcx(self, x): return unary('erfcx', x)
    def erfinv(self, x): return unary('erfinv', x)
    def erfcinv(self, x): return unary('erfcinv', x)
    def ndtr(self, x): return unary('ndtr', x)
    def log_ndtr(self, x): return unary('log_ndtr', x)
    def ndtri(self, x): return unary('ndtri', x)
    def gammaln(self, x): return unary('lgamma', x)
    def digamma(self, x): return unary('digamma', x)
    psi = digamma
    def polygamma(self, n, x): return binary('polygamma', n, x)
    def zeta(self, x, q): return binary('zeta', x, q)


tracer_special = _TracerSpecial()
