"""The primitive set of the IR: one row per primitive.

A :class:`Primitive` carries everything about one operation: its kind, how
its attributes are normalised, its shape/dtype rule, its reference semantics
(on a NumPy-like module ``xp``) and, for elementwise primitives, its C and CUDA
expression. Backends lower the other kinds (reduce, matmul, layout, gather,
scatter, fill) by kind. Tests are generated from this registry, so a new
primitive cannot miss a lowering or a test.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy

from codegen.ir import IRError, Value, dtype_name

_REGISTRY: dict[str, Primitive] = {}


@dataclass(frozen=True)
class Primitive:
    """One IR operation."""

    name: str
    kind: str  # elementwise | reduce | matmul | layout | gather | scatter | fill
    arity: int | None  # None: variadic
    infer: Callable[[list, dict], list]
    reference: Callable[..., Any]
    c_expr: str | None = None  # elementwise: C expression over {0}, {1}...; {f}: 'f' or ''
    cuda_expr: str | None = None
    attr_names: tuple = ()
    float_only: bool = False
    sample_attrs: dict = field(default_factory=dict)  # used by generated tests

    def normalize(self, inputs: list, attrs: dict) -> dict:
        if self.arity is not None and len(inputs) != self.arity:
            raise IRError(f'{self.name}: expected {self.arity} inputs, got {len(inputs)}')
        unknown = set(attrs) - set(self.attr_names)
        if unknown:
            raise IRError(f'{self.name}: unknown attributes {sorted(unknown)}')
        if self.float_only:
            for v in inputs:
                if numpy.dtype(v.dtype).kind != 'f':
                    raise IRError(f'{self.name}: needs floating-point inputs, got {v.dtype}')
        return {k: _plain(v) for k, v in attrs.items()}


def _plain(v: Any) -> Any:
    """Attributes as plain Python values (ints, floats, bools, str, tuples)."""
    if isinstance(v, (list, tuple)):
        return tuple(_plain(x) for x in v)
    if isinstance(v, numpy.generic):
        return v.item()
    if isinstance(v, numpy.dtype):
        return v.name
    if isinstance(v, type) and issubclass(v, numpy.generic):
        return numpy.dtype(v).name
    return v


def register(prim: Primitive) -> Primitive:
    if prim.name in _REGISTRY:
        raise IRError(f'primitive {prim.name} is defined twice')
    _REGISTRY[prim.name] = prim
    return prim


def get_primitive(name: str) -> Primitive:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise IRError(f'unknown primitive {name!r}') from None


def all_primitives() -> list:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


# ---------------------------------------------------------------- elementwise
def _broadcast(inputs: list) -> tuple:
    try:
        return tuple(numpy.broadcast_shapes(*(v.shape for v in inputs)))
    except ValueError:
        raise IRError('shapes do not broadcast: ' + ', '.join(str(v.shape) for v in inputs)) \
            from None


def _same_dtype(name: str, inputs: list) -> str:
    dtypes = {v.dtype for v in inputs}
    if len(dtypes) != 1:
        raise IRError(f'{name}: inputs must share one dtype, got {sorted(dtypes)}')
    return inputs[0].dtype


def unary(name: str, ref: Callable, c: str, cuda: str | None = None, float_only=True,
          out_dtype: str | None = None) -> Primitive:
    return register(Primitive(
        name, 'elementwise', 1,
        infer=lambda ins, a: [(ins[0].shape, out_dtype or ins[0].dtype)],
        reference=lambda xp, x: ref(xp, x), c_expr=c, cuda_expr=cuda or c,
        float_only=float_only))


def binary(name: str, ref: Callable, c: str, cuda: str | None = None, float_only=False,
           out_dtype: str | None = None) -> Primitive:
    def infer(ins, a):
        dtype = _same_dtype(name, ins)
        return [(_broadcast(ins), out_dtype or dtype)]

    return register(Primitive(name, 'elementwise', 2, infer=infer,
                              reference=lambda xp, x, y: ref(xp, x, y), c_expr=c,
                              cuda_expr=cuda or c, float_only=float_only))


unary('neg', lambda xp, x: -x, '(-{0})', float_only=False)
unary('abs', lambda xp, x: xp.abs(x), 'fabs{f}({0})')
unary('exp', lambda xp, x: xp.exp(x), 'exp{f}({0})')
unary('log', lambda xp, x: xp.log(x), 'log{f}({0})')
unary('log1p', lambda xp, x: xp.log1p(x), 'log1p{f}({0})')
unary('expm1', lambda xp, x: xp.expm1(x), 'expm1{f}({0})')
unary('sqrt', lambda xp, x: xp.sqrt(x), 'sqrt{f}({0})')
unary('rsqrt', lambda xp, x: 1 / xp.sqrt(x), '(({t})1 / sqrt{f}({0}))')
unary('sin', lambda xp, x: xp.sin(x), 'sin{f}({0})')
unary('cos', lambda xp, x: xp.cos(x), 'cos{f}({0})')
unary('tan', lambda xp, x: xp.tan(x), 'tan{f}({0})')
unary('tanh', lambda xp, x: xp.tanh(x), 'tanh{f}({0})')
unary('floor', lambda xp, x: xp.floor(x), 'floor{f}({0})')
unary('ceil', lambda xp, x: xp.ceil(x), 'ceil{f}({0})')
unary('sign', lambda xp, x: xp.sign(x), '(({t})(({0} > 0) - ({0} < 0)))', float_only=False)
unary('logical_not', lambda xp, x: xp.logical_not(x), '(!{0})', float_only=False,
      out_dtype='bool')

unary('asin', lambda xp, x: xp.arcsin(x), 'asin{f}({0})')
unary('acos', lambda xp, x: xp.arccos(x), 'acos{f}({0})')
unary('atan', lambda xp, x: xp.arctan(x), 'atan{f}({0})')
unary('atanh', lambda xp, x: xp.arctanh(x), 'atanh{f}({0})')
unary('sinh', lambda xp, x: xp.sinh(x), 'sinh{f}({0})')
unary('cosh', lambda xp, x: xp.cosh(x), 'cosh{f}({0})')


# Special functions. Their meaning is SciPy's (scipy.special on NumPy, cupyx.scipy.special
# on CuPy). C99's libm has erf, erfc and lgamma and CUDA's device library a few more; the
# rest are tg_sf_* functions of templates/common/special_functions.j2, which compute in
# double (a float32 argument is widened and the result rounded).
def special_module(xp: Any) -> Any:
    """The special-function module of array module ``xp``: ``scipy.special`` for NumPy,
    ``cupyx.scipy.special`` for CuPy (imported on first use; ImportError when missing)."""
    if xp is numpy:
        import scipy.special

        return scipy.special
    if getattr(xp, '__name__', None) == 'cupy':
        import cupyx.scipy.special

        return cupyx.scipy.special
    raise TypeError(f'no special-function module for array module {xp!r}')


def _special(name: str) -> Callable:
    return lambda xp, *args: getattr(special_module(xp), name)(*args)


def _wide(fn: str, arity: int = 1) -> str:
    """An expression calling the double-precision tg_sf_<fn>, rounded to the value's type."""
    args = ', '.join(f'(double){{{i}}}' for i in range(arity))
    return f'(({{t}})tg_sf_{fn}({args}))'


unary('erf', _special('erf'), 'erf{f}({0})')
unary('erfc', _special('erfc'), 'erfc{f}({0})')
unary('erfcx', _special('erfcx'), _wide('erfcx'), 'erfcx{f}({0})')
unary('erfinv', _special('erfinv'), _wide('erfinv'), 'erfinv{f}({0})')
unary('erfcinv', _special('erfcinv'), _wide('erfcinv'), 'erfcinv{f}({0})')
unary('ndtr', _special('ndtr'), _wide('ndtr'), 'normcdf{f}({0})')
unary('log_ndtr', _special('log_ndtr'), _wide('log_ndtr'))
unary('ndtri', _special('ndtri'), _wide('ndtri'), 'normcdfinv{f}({0})')
unary('lgamma', _special('gammaln'), 'lgamma{f}({0})')
unary('digamma', _special('digamma'), _wide('digamma'))

binary('add', lambda xp, x, y: x + y, '({0} + {1})')
binary('sub', lambda xp, x, y: x - y, '({0} - {1})')
binary('mul', lambda xp, x, y: x * y, '({0} * {1})')
binary('div', lambda xp, x, y: x / y, '({0} / {1})', float_only=True)
binary('pow', lambda xp, x, y: x ** y, 'pow{f}({0}, {1})', float_only=True)
binary('atan2', lambda xp, x, y: xp.arctan2(x, y), 'atan2{f}({0}, {1})', float_only=True)
binary('fmod', lambda xp, x, y: xp.fmod(x, y), 'fmod{f}({0}, {1})', float_only=True)
# polygamma(n, x): the order n as a float of x's dtype (NaN unless n = 0, 1, 2...)
binary('polygamma', _special('polygamma'), _wide('polygamma', 2), float_only=True)
binary('zeta', _special('zeta'), _wide('zeta', 2), float_only=True)  # Hurwitz: zeta(x, q)
# NumPy's maximum/minimum propagate NaN from either side.
binary('maximum', lambda xp, x, y: xp.maximum(x, y), '(({0} > {1} || {0} != {0}) ? {0} : {1})')
binary('minimum', lambda xp, x, y: xp.minimum(x, y), '(({0} < {1} || {0} != {0}) ? {0} : {1})')
for _name, _op in (('gt', '>'), ('ge', '>='), ('lt', '<'), ('le', '<='), ('eq', '=='),
                   ('ne', '!=')):
    binary(_name, (lambda op: lambda xp, x, y: eval(f'x {op} y'))(_op), f'({{0}} {_op} {{1}})',
           out_dtype='bool')
binary('logical_and', lambda xp, x, y: xp.logical_and(x, y), '({0} && {1})', out_dtype='bool')
binary('logical_or', lambda xp, x, y: xp.logical_or(x, y), '({0} || {1})', out_dtype='bool')


def _where_infer(ins, a):
    cond, x, y = ins
    if cond.dtype != 'bool':
        raise IRError(f'where: the condition must be bool, got {cond.dtype}')
    return [(_broadcast(ins), _same_dtype('where', [x, y]))]


register(Primitive('where', 'elementwise', 3, infer=_where_infer,
                   reference=lambda xp, c, x, y: xp.where(c, x, y), c_expr='({0} ? {1} : {2})',
                   cuda_expr='({0} ? {1} : {2})'))

register(Primitive('cast', 'elementwise', 1,
                   infer=lambda ins, a: [(ins[0].shape, dtype_name(a['dtype']))],
                   reference=lambda xp, x, dtype: x.astype(dtype),
                   c_expr='(({t}){0})', cuda_expr='(({t}){0})', attr_names=('dtype',),
                   sample_attrs={'dtype': 'float64'}))


# ---------------------------------------------------------------- fill / constants
def _fill_infer(ins, a):
    return [(tuple(a['shape']), dtype_name(a['dtype']))]


register(Primitive('fill', 'fill', 0, infer=_fill_infer,
                   reference=lambda xp, shape, value, dtype: xp.full(shape, value, dtype),
                   attr_names=('shape', 'value', 'dtype'),
                   sample_attrs={'shape': (2, 3), 'value': 1.5, 'dtype': 'float32'}))


def _constant_ref(xp, shape, value, dtype):
    return xp.asarray(numpy.array(value, dtype=dtype).reshape(shape))


register(Primitive('constant', 'fill', 0, infer=_fill_infer, reference=_constant_ref,
                   attr_names=('shape', 'value', 'dtype'),
                   sample_attrs={'shape': (2,), 'value': (1.0, 2.0), 'dtype': 'float32'}))


def _iota_ref(xp, shape, axis, dtype):
    n = shape[axis]
    r = xp.arange(n, dtype=dtype).reshape([n if i == axis else 1 for i in range(len(shape))])
    return xp.broadcast_to(r, shape).copy()


register(Primitive('iota', 'fill', 0, infer=_fill_infer, reference=_iota_ref,
                   attr_names=('shape', 'axis', 'dtype'),
                   sample_attrs={'shape': (2, 3), 'axis': 1, 'dtype': 'int32'}))


# ---------------------------------------------------------------- reductions
def _axes(v: Value, axes) -> tuple:
    if axes is None:
        return tuple(range(v.ndim))
    axes = tuple(a + v.ndim if a < 0 else a for a in (axes if isinstance(axes, tuple) else (axes,)))
    for a in axes:
        if not 0 <= a < v.ndim:
            raise IRError(f'axis {a} out of range for shape {v.shape}')
    return tuple(sorted(set(axes)))


def _reduce_shape(v: Value, axes: tuple, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(v.shape))
    return tuple(s for i, s in enumerate(v.shape) if i not in axes)


def reduction(name: str, ref: Callable, index: bool = False):
    def normalize(self, ins, attrs):
        attrs = Primitive.normalize(self, ins, attrs)
        axes = _axes(ins[0], attrs.get('axes'))
        if index and len(axes) != 1:
            raise IRError(f'{name}: needs exactly one axis')
        return {'axes': axes, 'keepdims': bool(attrs.get('keepdims', False))}

    def infer(ins, a):
        return [(_reduce_shape(ins[0], a['axes'], a['keepdims']),
                 'int64' if index else ins[0].dtype)]

    prim = Primitive(name, 'reduce', 1, infer=infer,
                     reference=lambda xp, x, axes, keepdims: ref(xp, x, axes, keepdims),
                     attr_names=('axes', 'keepdims'),
                     sample_attrs={'axes': (1,), 'keepdims': False})
    object.__setattr__(prim, 'normalize', normalize.__get__(prim))
    return register(prim)


reduction('sum', lambda xp, x, axes, keepdims: x.sum(axis=axes, keepdims=keepdims))
reduction('max', lambda xp, x, axes, keepdims: x.max(axis=axes, keepdims=keepdims))
reduction('min', lambda xp, x, axes, keepdims: x.min(axis=axes, keepdims=keepdims))


def _argref(fn):
    def ref(xp, x, axes, keepdims):
        r = getattr(xp, fn)(x, axis=axes[0])
        if keepdims:
            r = xp.expand_dims(r, axes[0])
        return r.astype('int64')
    return ref


reduction('argmax', _argref('argmax'), index=True)
reduction('argmin', _argref('argmin'), index=True)


# ---------------------------------------------------------------- matmul
def _matmul_infer(ins, a):
    x, y = ins
    _same_dtype('matmul', ins)
    if x.ndim < 2 or y.ndim < 2:
        raise IRError(f'matmul: operands need at least 2 dims, got {x.shape} and {y.shape}')
    m, k = (x.shape[-1], x.shape[-2]) if a['transa'] else (x.shape[-2], x.shape[-1])
    k2, n = (y.shape[-1], y.shape[-2]) if a['transb'] else (y.shape[-2], y.shape[-1])
    if k != k2:
        raise IRError(f'matmul: inner sizes differ: {x.shape} (transa={a["transa"]}) and '
                      f'{y.shape} (transb={a["transb"]})')
    try:
        batch = numpy.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise IRError(f'matmul: batch dims do not broadcast: {x.shape}, {y.shape}') from None
    return [(tuple(batch) + (m, n), x.dtype)]


def _matmul_normalize(self, ins, attrs):
    attrs = Primitive.normalize(self, ins, attrs)
    return {'transa': bool(attrs.get('transa', False)), 'transb': bool(attrs.get('transb', False))}


def _matmul_ref(xp, x, y, transa, transb):
    if transa:
        x = xp.swapaxes(x, -1, -2)
    if transb:
        y = xp.swapaxes(y, -1, -2)
    return xp.matmul(x, y)


_mm = Primitive('matmul', 'matmul', 2, infer=_matmul_infer, reference=_matmul_ref,
                attr_names=('transa', 'transb'), float_only=True,
                sample_attrs={'transa': False, 'transb': True})
object.__setattr__(_mm, 'normalize', _matmul_normalize.__get__(_mm))
register(_mm)


# ---------------------------------------------------------------- layout
def _reshape_infer(ins, a):
    shape = tuple(a['shape'])
    if int(numpy.prod(shape, dtype=numpy.int64)) != ins[0].size:
        raise IRError(f'reshape: cannot reshape {ins[0].shape} into {shape}')
    return [(shape, ins[0].dtype)]


register(Primitive('reshape', 'layout', 1, infer=_reshape_infer,
                   reference=lambda xp, x, shape: x.reshape(shape), attr_names=('shape',),
                   sample_attrs={'shape': (3, 2)}))


def _transpose_infer(ins, a):
    axes = tuple(a['axes'])
    if sorted(axes) != list(range(ins[0].ndim)):
        raise IRError(f'transpose: {axes} is not a permutation of {ins[0].ndim} axes')
    return [(tuple(ins[0].shape[i] for i in axes), ins[0].dtype)]


register(Primitive('transpose', 'layout', 1, infer=_transpose_infer,
                   reference=lambda xp, x, axes: xp.transpose(x, axes), attr_names=('axes',),
                   sample_attrs={'axes': (1, 0)}))


def _broadcast_to_infer(ins, a):
    shape = tuple(a['shape'])
    try:
        if tuple(numpy.broadcast_shapes(ins[0].shape, shape)) != shape:
            raise ValueError
    except ValueError:
        raise IRError(f'broadcast_to: cannot broadcast {ins[0].shape} to {shape}') from None
    return [(shape, ins[0].dtype)]


register(Primitive('broadcast_to', 'layout', 1, infer=_broadcast_to_infer,
                   reference=lambda xp, x, shape: xp.broadcast_to(x, shape).copy(),
                   attr_names=('shape',), sample_attrs={'shape': (4, 2, 3)}))


def _slice_infer(ins, a):
    x = ins[0]
    if not (len(a['begin']) == len(a['end']) == len(a['step']) == x.ndim):
        raise IRError(f'slice: begin/end/step need {x.ndim} entries')
    shape = tuple(len(range(*slice(b, e, s).indices(n)))
                  for b, e, s, n in zip(a['begin'], a['end'], a['step'], x.shape))
    return [(shape, x.dtype)]


def _slice_normalize(self, ins, attrs):
    attrs = Primitive.normalize(self, ins, attrs)
    x = ins[0]
    begin, end, step = [], [], []
    for i, (b, e, s) in enumerate(zip(attrs['begin'], attrs['end'], attrs['step'])):
        if s == 0:
            raise IRError('slice: step cannot be zero')
        b, e, s = slice(b, e, s).indices(x.shape[i])
        if e < 0:  # a negative step running past index 0: keep that meaning on re-reading
            e = -x.shape[i] - 1
        begin.append(b)
        end.append(e)
        step.append(s)
    return {'begin': tuple(begin), 'end': tuple(end), 'step': tuple(step)}


def _slice_ref(xp, x, begin, end, step):
    return x[tuple(slice(b, None if e < 0 else e, s) for b, e, s in zip(begin, end, step))]


_sl = Primitive('slice', 'layout', 1, infer=_slice_infer, reference=_slice_ref,
                attr_names=('begin', 'end', 'step'),
                sample_attrs={'begin': (0, 1), 'end': (2, 3), 'step': (1, 2)})
object.__setattr__(_sl, 'normalize', _slice_normalize.__get__(_sl))
register(_sl)


def _concat_infer(ins, a):
    if not ins:
        raise IRError('concat: needs at least one input')
    axis = a['axis']
    first = ins[0]
    _same_dtype('concat', ins)
    for v in ins:
        if v.ndim != first.ndim or any(s != t for i, (s, t) in enumerate(zip(v.shape, first.shape))
                                       if i != axis):
            raise IRError(f'concat: shapes {[v.shape for v in ins]} differ off axis {axis}')
    shape = list(first.shape)
    shape[axis] = sum(v.shape[axis] for v in ins)
    return [(tuple(shape), first.dtype)]


def _concat_normalize(self, ins, attrs):
    attrs = Primitive.normalize(self, ins, attrs)
    axis = attrs['axis']
    return {'axis': axis + ins[0].ndim if axis < 0 else axis}


_cc = Primitive('concat', 'layout', None, infer=_concat_infer,
                reference=lambda xp, *xs, axis: xp.concatenate(xs, axis=axis),
                attr_names=('axis',), sample_attrs={'axis': 0})
object.__setattr__(_cc, 'normalize', _concat_normalize.__get__(_cc))
register(_cc)


def _pad_infer(ins, a):
    x = ins[0]
    if len(a['pad_width']) != x.ndim:
        raise IRError(f'pad: pad_width needs {x.ndim} pairs')
    return [(tuple(s + lo + hi for s, (lo, hi) in zip(x.shape, a['pad_width'])), x.dtype)]


register(Primitive('pad', 'layout', 1, infer=_pad_infer,
                   reference=lambda xp, x, pad_width, value: xp.pad(
                       x, pad_width, mode='constant', constant_values=value),
                   attr_names=('pad_width', 'value'),
                   sample_attrs={'pad_width': ((1, 0), (0, 2)), 'value': 0.0}))


# ---------------------------------------------------------------- gather / scatter
def _index_dtype(v: Value, name: str) -> None:
    if numpy.dtype(v.dtype).kind not in 'iu':
        raise IRError(f'{name}: indices must be integers, got {v.dtype}')


def _take_infer(ins, a):
    x, idx = ins
    _index_dtype(idx, 'take')
    axis = a['axis']
    return [(x.shape[:axis] + idx.shape + x.shape[axis + 1:], x.dtype)]


register(Primitive('take', 'gather', 2, infer=_take_infer,
                   reference=lambda xp, x, idx, axis: xp.take(x, idx, axis=axis),
                   attr_names=('axis',), sample_attrs={'axis': 0}))


def _take_along_infer(ins, a):
    x, idx = ins
    _index_dtype(idx, 'take_along_axis')
    if idx.ndim != x.ndim:
        raise IRError('take_along_axis: indices need the same ndim as the array')
    shape = list(x.shape)
    shape[a['axis']] = idx.shape[a['axis']]
    try:
        return [(tuple(numpy.broadcast_shapes(tuple(shape), idx.shape)), x.dtype)]
    except ValueError:
        raise IRError(f'take_along_axis: {x.shape} and indices {idx.shape} do not broadcast') \
            from None


register(Primitive('take_along_axis', 'gather', 2, infer=_take_along_infer,
                   reference=lambda xp, x, idx, axis: xp.take_along_axis(x, idx, axis=axis),
                   attr_names=('axis',), sample_attrs={'axis': 1}))


def _scatter_infer(ins, a):
    idx, upd = ins
    _index_dtype(idx, 'scatter_add')
    shape, axis = tuple(a['shape']), a['axis']
    expect = shape[:axis] + idx.shape + shape[axis + 1:]
    if upd.shape != expect:
        raise IRError(f'scatter_add: updates have shape {upd.shape}, expected {expect}')
    return [(shape, upd.dtype)]


def _scatter_ref(xp, idx, upd, shape, axis):
    """The transpose of take: out = zeros(shape); out.take(idx, axis) += upd."""
    out = xp.zeros(shape, dtype=upd.dtype)
    moved = xp.moveaxis(out, axis, 0)
    upd_moved = upd.reshape(shape[:axis] + (idx.size,) + shape[axis + 1:])
    upd_moved = xp.moveaxis(upd_moved, axis, 0)
    xp.add.at(moved, idx.reshape(-1), upd_moved)
    return out


register(Primitive('scatter_add', 'scatter', 2, infer=_scatter_infer, reference=_scatter_ref,
                   attr_names=('shape', 'axis'), sample_attrs={'shape': (4, 3), 'axis': 0}))


ELEMENTWISE = frozenset(p.name for p in _REGISTRY.values() if p.kind == 'elementwise')


# ---------------------------------------------------------------- fused groups
def _fusion_body(text: str):
    from codegen.ir import parse

    return parse(text)


def _fusion_infer(ins, a):
    body = _fusion_body(a['body'])
    if len(ins) != len(body.inputs):
        raise IRError(f'fusion: the body takes {len(body.inputs)} inputs, got {len(ins)}')
    for v, b in zip(ins, body.inputs):
        if v.shape != b.shape or v.dtype != b.dtype:
            raise IRError(f'fusion: input {v} ({v.type_text}) does not match body input '
                          f'{b.type_text}')
    return [(v.shape, v.dtype) for v in body.outputs]


def _fusion_ref(xp, *inputs, body):
    from codegen.interpreter import run

    outs = run(_fusion_body(body), list(inputs), xp)
    return tuple(outs) if len(outs) > 1 else outs[0]


# A group of elementwise, layout and reduction nodes that a backend runs as one loop
# nest. `body` is the group's own graph in the text form.
register(Primitive('fusion', 'fusion', None, infer=_fusion_infer, reference=_fusion_ref,
                   attr_names=('body',)))


# ---------------------------------------------------------------- GEMM with accumulation
def _gemm_infer(ins, a):
    x, y, c = ins
    (shape, dtype), = _matmul_infer([x, y], a)
    if c.shape != shape or c.dtype != dtype:
        raise IRError(f'gemm: the accumulator is {c.type_text}, the product is '
                      f'{dtype}{list(shape)}')
    return [(shape, dtype)]


def _gemm_normalize(self, ins, attrs):
    attrs = Primitive.normalize(self, ins, attrs)
    return {'transa': bool(attrs.get('transa', False)), 'transb': bool(attrs.get('transb', False)),
            'alpha': float(attrs.get('alpha', 1.0)), 'beta': float(attrs.get('beta', 1.0))}


def _gemm_ref(xp, x, y, c, transa, transb, alpha, beta):
    prod = _matmul_ref(xp, x, y, transa, transb)
    return (prod * prod.dtype.type(alpha) if alpha != 1 else prod) + (
        c * c.dtype.type(beta) if beta != 1 else c)


# BLAS's C = alpha * op(A) @ op(B) + beta * C: a product accumulated into a value of its
# own shape (gradient sums, updates). Made by codegen.passes.gemm for backends with BLAS.
_gemm = Primitive('gemm', 'matmul', 3, infer=_gemm_infer, reference=_gemm_ref,
                  attr_names=('transa', 'transb', 'alpha', 'beta'), float_only=True,
                  sample_attrs={'transa': False, 'transb': True, 'alpha': -1.0, 'beta': 1.0})
object.__setattr__(_gemm, 'normalize', _gemm_normalize.__get__(_gemm))
register(_gemm)
