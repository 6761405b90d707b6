"""Every IR primitive x dtype x backend against its reference semantics.

The cases are generated from the registry (``codegen.primitives.all_primitives()``):
each primitive has a list of cases below (shapes with scalars, size-1 dims, odd
sizes and broadcasting; hand-picked attribute variants); a primitive registered
without cases, or without a C lowering, fails :func:`test_every_primitive_has_cases`
and :func:`test_every_primitive_lowers_to_c`.

The expected values are the primitive's own NumPy semantics
(``Primitive.reference`` called on NumPy arrays, cast to the dtype the shape rule
infers), computed here directly, never through the interpreter. To keep the C
compiler's work small, all cases of one primitive are built into one graph (one
translation unit) whose outputs are checked case by case.
"""
import os
import zlib

import numpy as np
import pytest

from codegen import Graph, all_primitives, get_primitive
from codegen.backends import get_backend

F = ('float32', 'float64')
I = ('int32', 'int64')
BACKENDS = ('reference', 'c')


# ---------------------------------------------------------------- input arrays
def _rng(*key) -> np.random.RandomState:
    return np.random.RandomState(zlib.crc32(repr(key).encode()))


def arr(rng, shape, dtype, domain='any'):
    """A random array; ``domain``: any | positive | nonzero | small (integers, with ties) |
    order (integers 0..3) | (low, high)."""
    dtype = np.dtype(dtype)
    if isinstance(domain, tuple):
        return np.asarray(rng.uniform(*domain, shape), dtype)
    if dtype == np.bool_:
        return rng.uniform(size=shape) > 0.5
    if dtype.kind in 'iu':
        return rng.randint(1 if domain in ('positive', 'nonzero') else -5, 6,
                           size=shape).astype(dtype)
    if domain == 'positive':
        a = rng.uniform(0.5, 2.0, shape)
    elif domain == 'nonzero':
        a = rng.uniform(0.5, 2.0, shape) * np.where(rng.uniform(size=shape) > 0.5, 1, -1)
    elif domain == 'small':
        a = rng.randint(-2, 3, size=shape).astype(np.float64)
    elif domain == 'order':
        a = rng.randint(0, 4, size=shape).astype(np.float64)
    else:
        a = rng.uniform(-2.0, 2.0, shape)
    return np.asarray(a, dtype)


class Case:
    """One application: ``op(*inputs, **attrs)``; ``dtype`` labels the test it belongs to."""

    def __init__(self, dtype, inputs, attrs=None):
        self.dtype = np.dtype(dtype).name
        self.inputs = [np.asarray(a) for a in inputs]
        self.attrs = dict(attrs or {})

    def __repr__(self):
        ins = ', '.join(f'{a.dtype.name}{list(a.shape)}' for a in self.inputs)
        return f'({ins}) {self.attrs}'


# Shapes: scalars, size-1 dims, odd sizes (7, 13).
UNARY_SHAPES = [(), (1,), (7,), (13, 1), (2, 7), (3, 1, 13)]
# Pairs that broadcast in every direction.
BINARY_SHAPES = [((), ()), ((7,), (7,)), ((2, 7), ()), ((), (13,)), ((7, 1), (1, 13)),
                 ((13,), (2, 13)), ((1, 1), (1,)), ((3, 1, 7), (2, 1))]

POSITIVE = {'log', 'log1p', 'sqrt', 'rsqrt'}
SMALL = {'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'ne', 'sign', 'floor', 'ceil'}
# open domains other than the whole line
DOMAINS = {'asin': (-0.95, 0.95), 'acos': (-0.95, 0.95), 'atanh': (-0.95, 0.95),
           'erfinv': (-0.95, 0.95), 'erfcinv': (0.02, 1.98), 'ndtri': (0.01, 0.99)}
INF, NAN = float('inf'), float('nan')
# Edges and tails of the special functions: infinities, NaN, poles, values outside the
# domain (NaN), far tails, tiny arguments.
EDGES = {
    'erf': [0.0, INF, -INF, NAN, 6.0, -6.0, 1e-30],
    'erfc': [INF, -INF, NAN, 10.0, -10.0, 26.0],
    'erfcx': [INF, -INF, NAN, -10.0, 10.0, 30.0, 100.0, 1e30, 0.0],
    'erfinv': [-1.0, 1.0, 0.0, 1.5, -1.5, NAN, 0.999999, 1e-30],
    'erfcinv': [0.0, 2.0, 1.0, -1.0, 3.0, NAN, 1e-30, 1.9999, 0.5, 1.5],
    'ndtr': [INF, -INF, NAN, -30.0, 30.0, 0.0],
    'log_ndtr': [INF, -INF, NAN, -30.0, -1e5, 30.0, 0.0],
    'ndtri': [0.0, 1.0, 0.5, -1.0, 2.0, NAN, 1e-30, 0.9999999],
    'lgamma': [0.0, -1.0, INF, NAN, 1.0, 2.0, 100.0, 1e-30, -0.5],
    'digamma': [0.0, -1.0, -2.5, INF, -INF, NAN, 1e-30, 1e30, 1.4616321],
    'polygamma': ([0.0, 1.0, 2.0, 1.5, -1.0, 3.0, 1.0, 0.0],
                  [0.0, 0.0, -1.5, 1.0, 1.0, 1e-3, 1e5, -INF]),
    'zeta': ([1.0, 0.5, 2.0, 2.0, 2.5, 2.0, 60.0, 3.0, NAN],
             [1.0, 1.0, 0.0, -1.5, -1.5, -2.0, 0.5, 1e4, 1.0]),
}


def _both_signs(low, high, n):
    """``n`` magnitudes from 10**low to 10**high on a log scale, with their negatives and 0."""
    v = np.logspace(low, high, n)
    return np.concatenate([-v[::-1], [0.0], v])


def _near(points, low, high, n):
    """``points`` and ``points`` +- 10**k for ``n`` exponents k in [low, high]."""
    d = np.logspace(low, high, n)
    return np.concatenate([p + s * d for p in points for s in (1, -1)])


# Sweeps over the whole of each special function's domain, deep tails and the
# neighbourhoods of poles and endpoints included, against SciPy in float32 and float64:
# the tg_sf_* helpers are hand-written, so a narrow random sample would not show where
# one loses its accuracy.
WIDE = {
    'erf': _both_signs(-30, 1, 300),
    'erfc': _both_signs(-30, 1.5, 300),
    'erfcx': _both_signs(-30, 300, 600),
    'ndtr': _both_signs(-30, 1.6, 300),
    'log_ndtr': _both_signs(-30, 200, 600),
    'erfinv': np.concatenate([np.linspace(-1, 1, 401), _near([1.0, -1.0], -16, -1, 60),
                              _both_signs(-300, -1, 100)]),
    'erfcinv': np.concatenate([np.linspace(0, 2, 401), np.logspace(-300, -1, 200),
                               _near([1.0], -300, -1, 100), 2 - np.logspace(-16, -1, 60)]),
    'ndtri': np.concatenate([np.linspace(0, 1, 401), np.logspace(-300, -1, 200),
                             _near([0.5], -300, -2, 100), 1 - np.logspace(-16, -1, 60)]),
    'lgamma': np.concatenate([np.logspace(-300, 300, 300), -np.logspace(-300, -1, 60),
                              _near([-1.0, -2.0, -7.0], -10, -1, 30)]),
    # away from digamma's negative roots, where every method keeps only absolute accuracy;
    # poles approached from below only: from above SciPy's digamma loses digits (see
    # test_digamma_near_poles)
    'digamma': np.concatenate([_both_signs(-300, 300, 600), np.arange(-30.0, 30.0) + 0.25,
                               (-np.arange(1.0, 8.0)[:, None] - np.logspace(-14, -2, 40)).ravel()]),
    'polygamma': tuple(np.meshgrid(np.arange(0.0, 6.0), np.concatenate([
        np.logspace(-10, 10, 60), -np.arange(0.0, 15.0) - 0.25]))),
    'zeta': tuple(np.meshgrid(np.concatenate([1 + np.logspace(-10, 0, 15), np.linspace(2, 90, 12)]),
                              np.concatenate([np.logspace(-10, 10, 41), -np.arange(0.0, 10.0) - 0.5]))),
}


def wide_cases(name, dtypes):
    wide = WIDE.get(name)
    if wide is None:
        return []
    columns = wide if isinstance(wide, tuple) else (wide,)
    with np.errstate(over='ignore'):  # float32 takes the far ends as infinities
        return [Case(dt, [np.asarray(c, dt).ravel() for c in columns]) for dt in dtypes]


def unary_cases(name, dtypes):
    rng = _rng(name)
    domain = 'positive' if name in POSITIVE else 'small' if name in SMALL else \
        DOMAINS.get(name, 'any')
    cases = [Case(dt, [arr(rng, s, dt, domain)]) for dt in dtypes
             for s in (UNARY_SHAPES if dt in F else UNARY_SHAPES[::2])]
    if name in ('floor', 'ceil'):  # non-integral values too
        cases += [Case(dt, [arr(rng, (13,), dt)]) for dt in dtypes]
    return cases


def edge_cases(name, dtypes):
    edges = EDGES.get(name)
    if edges is None:
        return []
    columns = edges if isinstance(edges, tuple) else (edges,)
    return [Case(dt, [np.array(c, dt) for c in columns]) for dt in dtypes]


def binary_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        for sx, sy in (BINARY_SHAPES if dt in F else BINARY_SHAPES[2::2]):
            if name in ('div', 'fmod'):
                x, y = arr(rng, sx, dt), arr(rng, sy, dt, 'nonzero')
            elif name == 'pow':
                x, y = arr(rng, sx, dt, 'positive'), arr(rng, sy, dt)
            elif name == 'polygamma':
                x, y = arr(rng, sx, dt, 'order'), arr(rng, sy, dt, 'positive')
            elif name == 'zeta':
                x, y = arr(rng, sx, dt, (1.5, 4.0)), arr(rng, sy, dt, 'positive')
            else:
                domain = 'small' if name in SMALL else 'any'
                x, y = arr(rng, sx, dt, domain), arr(rng, sy, dt, domain)
            cases.append(Case(dt, [x, y]))
    return cases


def nan_cases(name, dtypes):
    """NaN on either side, and on both (NumPy's maximum/minimum propagate it)."""
    cases = []
    for dt in dtypes:
        x = np.array([np.nan, 1.0, np.nan, -2.0, 3.0, np.inf, -np.inf], dt)
        y = np.array([0.5, np.nan, np.nan, -3.0, 4.0, 1.0, 2.0], dt)
        cases += [Case(dt, [x, y]), Case(dt, [y, x])]
    return cases


def reduction_cases(name, dtypes):
    rng = _rng(name)
    index = name in ('argmax', 'argmin')
    cases = []
    for dt in dtypes:
        domain = 'small' if index else 'any'
        floating = np.dtype(dt).kind == 'f'
        x3 = arr(rng, (3, 7, 5), dt, domain)
        # every axis of a 3-d array (leading, middle, trailing), keepdims both ways
        for axis in range(3):
            cases.append(Case(dt, [x3], {'axes': (axis,), 'keepdims': axis == 1}))
        if floating:
            cases.append(Case(dt, [arr(rng, (13,), dt, domain)], {'axes': (0,)}))
            cases.append(Case(dt, [arr(rng, (1, 7), dt, domain)], {'axes': (0,)}))
            cases.append(Case(dt, [arr(rng, (7, 13), dt, domain)],
                              {'axes': (-1,), 'keepdims': True}))
        if not index:
            # several axes, all axes, and a scalar
            cases.append(Case(dt, [x3], {'axes': (0, 2), 'keepdims': floating}))
            cases.append(Case(dt, [x3], {'axes': None, 'keepdims': False}))
            if floating:
                cases.append(Case(dt, [x3], {'axes': (1, 2), 'keepdims': False}))
                cases.append(Case(dt, [x3], {'axes': None, 'keepdims': True}))
                cases.append(Case(dt, [arr(rng, (), dt)], {'axes': None}))
            # all-negative / all-positive values: the identity of max/min must not leak
            cases.append(Case(dt, [-np.abs(arr(rng, (3, 7), dt)) - 1], {'axes': (1,)}))
            cases.append(Case(dt, [np.abs(arr(rng, (3, 7), dt)) + 1], {'axes': (0,)}))
        if floating:
            # NaN propagation as in NumPy (argmax/argmin: the first NaN wins)
            xn = arr(rng, (3, 7), dt)
            xn[0, 2] = np.nan
            xn[2, 0] = np.nan
            xn[2, 5] = np.nan
            cases.append(Case(dt, [xn], {'axes': (1,)}))
            cases.append(Case(dt, [xn], {'axes': (0,)}))
        if floating and index:
            # along a leading axis, more positions than one block of the C loop (64) and
            # not a multiple of it; NaN first, later and twice in a column; ties
            xw = arr(rng, (5, 150), dt, domain)
            xw[0, 140] = xw[3, 100] = xw[1, 130] = xw[4, 130] = np.nan
            xw[:, 70] = xw[2, 70]
            cases.append(Case(dt, [xw], {'axes': (0,)}))
            cases.append(Case(dt, [xw.reshape(5, 2, 75)], {'axes': (0,), 'keepdims': True}))
    return cases


def matmul_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        m, k, n = 7, 13, 5
        for transa in (False, True):
            for transb in (False, True):
                a = arr(rng, (k, m) if transa else (m, k), dt)
                b = arr(rng, (n, k) if transb else (k, n), dt)
                cases.append(Case(dt, [a, b], {'transa': transa, 'transb': transb}))
        cases.append(Case(dt, [arr(rng, (1, 1), dt), arr(rng, (1, 1), dt)]))
        cases.append(Case(dt, [arr(rng, (1, 7), dt), arr(rng, (7, 1), dt)]))
        cases.append(Case(dt, [arr(rng, (7, 1), dt), arr(rng, (1, 13), dt)]))
        # batched, with and without flags, and one side broadcast over the batch
        cases.append(Case(dt, [arr(rng, (3, 7, 5), dt), arr(rng, (3, 5, 2), dt)]))
        cases.append(Case(dt, [arr(rng, (3, 5, 7), dt), arr(rng, (3, 2, 5), dt)],
                          {'transa': True, 'transb': True}))
        cases.append(Case(dt, [arr(rng, (2, 3, 7, 5), dt), arr(rng, (5, 2), dt)]))
        cases.append(Case(dt, [arr(rng, (7, 5), dt), arr(rng, (3, 5, 2), dt)]))
    return cases


def gemm_cases(name, dtypes):
    """C = alpha * op(A) @ op(B) + beta * C, with every flag pair, signs and a batch."""
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        m, k, n = 7, 13, 5
        for transa, transb, alpha, beta in ((False, False, 1.0, 1.0), (True, False, -1.0, 1.0),
                                            (False, True, 1.0, -1.0), (True, True, 2.0, 0.5)):
            a = arr(rng, (k, m) if transa else (m, k), dt)
            b = arr(rng, (n, k) if transb else (k, n), dt)
            cases.append(Case(dt, [a, b, arr(rng, (m, n), dt)],
                              {'transa': transa, 'transb': transb, 'alpha': alpha,
                               'beta': beta}))
        cases.append(Case(dt, [arr(rng, (3, 7, 5), dt), arr(rng, (3, 5, 2), dt),
                               arr(rng, (3, 7, 2), dt)]))
    return cases


def layout_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        if name == 'reshape':
            cases += [Case(dt, [arr(rng, (2, 3), dt)], {'shape': (3, 2)}),
                      Case(dt, [arr(rng, (7, 13), dt)], {'shape': (91,)}),
                      Case(dt, [arr(rng, (), dt)], {'shape': (1, 1)}),
                      Case(dt, [arr(rng, (1, 7, 1), dt)], {'shape': (7,)})]
        elif name == 'transpose':
            x = arr(rng, (2, 7, 3), dt)
            cases += [Case(dt, [x], {'axes': p}) for p in
                      [(0, 1, 2), (2, 1, 0), (1, 0, 2), (1, 2, 0), (2, 0, 1), (0, 2, 1)]]
            cases += [Case(dt, [arr(rng, (7, 13), dt)], {'axes': (1, 0)}),
                      Case(dt, [arr(rng, (1, 13), dt)], {'axes': (1, 0)})]
        elif name == 'broadcast_to':
            cases += [Case(dt, [arr(rng, (), dt)], {'shape': (2, 3)}),
                      Case(dt, [arr(rng, (7,), dt)], {'shape': (3, 7)}),
                      Case(dt, [arr(rng, (7, 1), dt)], {'shape': (2, 7, 13)}),
                      Case(dt, [arr(rng, (1, 13), dt)], {'shape': (7, 13)}),
                      Case(dt, [arr(rng, (2, 3), dt)], {'shape': (2, 3)})]
        elif name == 'slice':
            x = arr(rng, (7, 13), dt)
            for begin, end, step in [((0, 1), (2, 3), (1, 2)),
                                     ((6, 12), (None, None), (-1, -1)),
                                     ((None, 11), (None, 2), (-2, -3)),
                                     ((-3, -5), (7, 13), (1, 1)),
                                     ((1, 0), (6, 13), (2, 13)),
                                     ((2, 5), (2, 9), (1, 1))]:  # an empty slice too
                cases.append(Case(dt, [x], {'begin': begin, 'end': end, 'step': step}))
            cases.append(Case(dt, [arr(rng, (13,), dt)],
                              {'begin': (-1,), 'end': (-14,), 'step': (-1,)}))
        elif name == 'concat':
            for axis in range(3):
                shapes = [tuple(s if d != axis else w for d, s in enumerate((2, 3, 5)))
                          for w in (1, 2, 3)]
                cases.append(Case(dt, [arr(rng, s, dt) for s in shapes], {'axis': axis}))
            cases.append(Case(dt, [arr(rng, (7,), dt), arr(rng, (13,), dt)], {'axis': -1}))
            cases.append(Case(dt, [arr(rng, (3, 7), dt)], {'axis': 1}))
        elif name == 'pad':
            cases += [Case(dt, [arr(rng, (2, 3), dt)], {'pad_width': ((1, 0), (0, 2)), 'value': 0.0}),
                      Case(dt, [arr(rng, (7,), dt)], {'pad_width': ((3, 2),), 'value': -1.5}),
                      Case(dt, [arr(rng, (2, 1, 3), dt)],
                           {'pad_width': ((0, 0), (2, 1), (1, 1)), 'value': 2.0})]
    return cases


def take_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        for idt in I:
            x = arr(rng, (4, 7, 3), dt)
            cases.append(Case(dt, [x, np.array([0, 3, -1, 2, 3], idt)], {'axis': 0}))
            cases.append(Case(dt, [x, np.array([[6, -7], [0, 0]], idt)], {'axis': 1}))
            cases.append(Case(dt, [x, np.array(2, idt)], {'axis': 2}))
            cases.append(Case(dt, [arr(rng, (13,), dt), np.array([-13, 12, 5], idt)], {'axis': 0}))
    return cases


def take_along_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        for idt in I:
            x = arr(rng, (3, 7), dt)
            cases.append(Case(dt, [x, rng.randint(-7, 7, (3, 1)).astype(idt)], {'axis': 1}))
            cases.append(Case(dt, [x, rng.randint(-7, 7, (3, 4)).astype(idt)], {'axis': 1}))
            cases.append(Case(dt, [x, rng.randint(-3, 3, (2, 7)).astype(idt)], {'axis': 0}))
            cases.append(Case(dt, [x, rng.randint(-3, 3, (5, 1)).astype(idt)], {'axis': 0}))
            cases.append(Case(dt, [arr(rng, (2, 5, 3), dt),
                                   rng.randint(-5, 5, (2, 2, 3)).astype(idt)], {'axis': 1}))
    return cases


def scatter_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        for idt in I:
            idx = np.array([0, 3, 3, -1, 0, 2], idt)  # repeated and negative indices
            cases.append(Case(dt, [idx, arr(rng, (6, 3), dt)], {'shape': (4, 3), 'axis': 0}))
            cases.append(Case(dt, [idx, arr(rng, (2, 6, 5), dt)], {'shape': (2, 4, 5), 'axis': 1}))
            idx2 = np.array([[1, 1], [0, -2]], idt)
            cases.append(Case(dt, [idx2, arr(rng, (3, 2, 2), dt)], {'shape': (3, 7), 'axis': 1}))
            cases.append(Case(dt, [np.array(1, idt), arr(rng, (), dt)], {'shape': (3,), 'axis': 0}))
    return cases


def fill_cases(name, dtypes):
    cases = []
    for dt in dtypes:
        if name == 'fill':
            for shape, value in [((), 2.5), ((2, 3), -1.0), ((1, 7), 0.0), ((13,), 3.0)]:
                value = bool(value) if dt == 'bool' else value
                cases.append(Case(dt, [], {'shape': shape, 'value': value, 'dtype': dt}))
            if np.dtype(dt).kind == 'f':
                cases += [Case(dt, [], {'shape': (3,), 'value': v, 'dtype': dt})
                          for v in (float('inf'), float('-inf'), float('nan'), 1e-30)]
        elif name == 'constant':
            vals = np.arange(-3, 4).astype(dt)
            cases.append(Case(dt, [], {'shape': (7,), 'value': tuple(vals.tolist()), 'dtype': dt}))
            cases.append(Case(dt, [], {'shape': (1, 7), 'value': tuple(vals.tolist()), 'dtype': dt}))
            cases.append(Case(dt, [], {'shape': (), 'value': (vals[0].item(),), 'dtype': dt}))
        elif name == 'iota':
            for shape, axis in [((7,), 0), ((2, 3), 0), ((2, 3), 1), ((3, 1, 13), 2),
                                ((3, 1, 13), 1)]:
                cases.append(Case(dt, [], {'shape': shape, 'axis': axis, 'dtype': dt}))
    return cases


def where_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        for sc, sx, sy in [((7,), (7,), (7,)), ((2, 7), (7,), ()), ((), (3, 1), (1, 5)),
                           ((3, 1), (13,), (3, 13)), ((), (), ())]:
            cases.append(Case(dt, [arr(rng, sc, 'bool'), arr(rng, sx, dt), arr(rng, sy, dt)]))
    return cases


def cast_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for src in dtypes:
        for dst in F + I + ('bool',):
            x = arr(rng, (13,), src, 'small' if np.dtype(src).kind == 'f' else 'any')
            if np.dtype(src).kind == 'f':
                x = np.concatenate([x, np.asarray([0.5, -0.5, 1.75, -1.75, 0.0], src)])
            cases.append(Case(src, [x], {'dtype': dst}))
            cases.append(Case(src, [arr(rng, (), src)], {'dtype': dst}))
    return cases


def fusion_cases(name, dtypes):
    rng = _rng(name)
    cases = []
    for dt in dtypes:
        body = Graph()
        x = body.input((3, 7), dt)
        b = body.input((7,), dt)
        y = body.add('exp', [body.add('add', [x, b])])
        s = body.add('sum', [y], axes=(1,), keepdims=True)
        body.set_outputs([y, s])
        cases.append(Case(dt, [arr(rng, (3, 7), dt), arr(rng, (7,), dt)],
                          {'body': body.to_text()}))
        body = Graph()
        x = body.input((2, 5), dt)
        t = body.add('transpose', [x], axes=(1, 0))
        body.set_outputs([body.add('mul', [t, t])])
        cases.append(Case(dt, [arr(rng, (2, 5), dt)], {'body': body.to_text()}))
    return cases


def _unary_dtypes(p):
    if p.name in ('neg', 'sign'):
        return F + I
    if p.name == 'logical_not':
        return ('bool',) + F + ('int32',)
    return F


def _binary_dtypes(p):
    if p.name in ('logical_and', 'logical_or'):
        return ('bool',) + F + ('int32',)
    if p.name in ('eq', 'ne'):
        return F + I + ('bool',)
    return F if p.float_only else F + I


SAMPLE_INPUTS = {  # input (shape, dtype or None: the case's dtype) for sample_attrs
    'reduce': [((3, 4), None)], 'matmul': [((2, 3), None), ((4, 3), None)],
    'reshape': [((2, 3), None)], 'transpose': [((2, 3), None)],
    'broadcast_to': [((2, 3), None)], 'slice': [((2, 3), None)], 'concat': [((2, 3), None)],
    'pad': [((2, 3), None)], 'cast': [((2, 3), None)],
    'take': [((4, 3), None), ((2,), 'int32')],
    'take_along_axis': [((2, 5), None), ((2, 3), 'int32')],
    'scatter_add': [((2,), 'int32'), ((2, 3), None)],
    'gemm': [((2, 3), None), ((4, 3), None), ((2, 4), None)],
}


def sample_cases(p) -> list:
    """Cases with the primitive's own ``sample_attrs``."""
    if not p.sample_attrs:
        return []
    if p.kind == 'fill':
        return [Case(p.sample_attrs['dtype'], [], p.sample_attrs)]
    rng = _rng(p.name, 'sample')
    specs = SAMPLE_INPUTS[p.name if p.name in SAMPLE_INPUTS else p.kind]
    cases = []
    for dt in F:
        ins = [rng.randint(0, 2, s).astype(d) if d else arr(rng, s, dt) for s, d in specs]
        cases.append(Case(dt, ins, p.sample_attrs))
    return cases


def cases_for(p) -> list:
    """The cases of primitive ``p``; [] for a primitive this file does not know yet."""
    return sample_cases(p) + _cases_for(p)


def _cases_for(p) -> list:
    if p.name == 'where':
        return where_cases(p.name, F + I + ('bool',))
    if p.name == 'cast':
        return cast_cases(p.name, F + I + ('bool',))
    if p.kind == 'elementwise' and p.arity == 1:
        return (unary_cases(p.name, _unary_dtypes(p)) + edge_cases(p.name, F)
                + wide_cases(p.name, F))
    if p.kind == 'elementwise' and p.arity == 2:
        cases = (binary_cases(p.name, _binary_dtypes(p)) + edge_cases(p.name, F)
                 + wide_cases(p.name, F))
        if p.name in ('maximum', 'minimum'):
            cases += nan_cases(p.name, F)
        return cases
    if p.kind == 'reduce':
        return reduction_cases(p.name, F + I)
    if p.name == 'gemm':
        return gemm_cases(p.name, F)
    if p.kind == 'matmul':
        return matmul_cases(p.name, F)
    if p.kind == 'layout':
        return layout_cases(p.name, F + I + ('bool',))
    if p.name == 'take':
        return take_cases(p.name, F + ('int32',))
    if p.name == 'take_along_axis':
        return take_along_cases(p.name, F + ('int32',))
    if p.name == 'scatter_add':
        return scatter_cases(p.name, F + ('int32',))
    if p.kind == 'fill':
        return fill_cases(p.name, F + I + (('bool',) if p.name == 'fill' else ()))
    if p.kind == 'fusion':
        return fusion_cases(p.name, F)
    return []


CASES = {p.name: cases_for(p) for p in all_primitives()}
PARAMS = [(name, dt) for name, cases in CASES.items()
          for dt in sorted({c.dtype for c in cases})]


# ---------------------------------------------------------------- expected values
def expected(name: str, case: Case) -> list:
    """The reference semantics on NumPy, cast to the inferred dtypes."""
    p = get_primitive(name)
    with np.errstate(all='ignore'):
        r = p.reference(np, *[a.copy() for a in case.inputs], **_normalized(name, case))
    rs = r if isinstance(r, tuple) else (r,)
    return [np.asarray(a) for a in rs]


def _normalized(name: str, case: Case) -> dict:
    g = Graph()
    ins = [g.input(a.shape, a.dtype) for a in case.inputs]
    return get_primitive(name).normalize(ins, dict(case.attrs))


def build_graph(name: str, cases: list) -> tuple:
    """One graph applying ``name`` to every case; returns (graph, {case index: outputs})."""
    g = Graph()
    outs, where = [], {}
    for k, c in enumerate(cases):
        ins = [g.input(a.shape, a.dtype) for a in c.inputs]
        r = g.add(name, ins, **c.attrs)
        rs = list(r) if isinstance(r, tuple) else [r]
        where[k] = list(range(len(outs), len(outs) + len(rs)))
        outs += rs
    g.set_outputs(outs)
    g.validate()
    return g, where


_PROGRAMS: dict = {}


def program(name: str, backend: str):
    """The built program of all cases of ``name`` (built once per module run)."""
    key = (name, backend)
    if key not in _PROGRAMS:
        g, where = build_graph(name, CASES[name])
        _PROGRAMS[key] = (get_backend(backend).build(g), where)
    return _PROGRAMS[key]


@pytest.fixture(scope='module')
def prebuilt():
    """Build the C programs of all primitives two at a time (the C compiler runs outside
    the GIL), so a cold kernel cache costs half the wall time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        for _ in pool.map(lambda name: program(name, 'c'), CASES):
            pass


def run_all(name: str, backend: str, cases: list) -> list:
    prog, where = program(name, backend)
    with np.errstate(all='ignore'):
        outs = prog([a.copy() for c in cases for a in c.inputs])
    return [[outs[i] for i in where[k]] for k in range(len(cases))]


def tolerance(dtype: str) -> dict:
    if dtype == 'float32':
        return {'rtol': 2e-6, 'atol': 1e-6}
    if dtype == 'float64':
        return {'rtol': 1e-13, 'atol': 1e-14}
    return {'rtol': 0, 'atol': 0}


def check(name: str, case: Case, got: list) -> None:
    want = expected(name, case)
    p = get_primitive(name)
    g = Graph()
    types = p.infer([g.input(a.shape, a.dtype) for a in case.inputs], _normalized(name, case))
    assert len(got) == len(want) == len(types)
    for w, o, (shape, dtype) in zip(want, got, types):
        w = w.astype(dtype)
        assert o.shape == tuple(shape) == w.shape, f'{name}{case}: shape'
        assert o.dtype == np.dtype(dtype), f'{name}{case}: dtype {o.dtype} != {dtype}'
        tol = tolerance(np.dtype(dtype).name) if name != 'cast' else tolerance(case.dtype)
        if np.dtype(dtype).kind == 'f':
            # float32 math in C (expf, powf) is within a few ulp of NumPy's
            np.testing.assert_allclose(o, w, equal_nan=True, err_msg=f'{name}{case}', **tol)
        else:
            np.testing.assert_array_equal(o, w, err_msg=f'{name}{case}')


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('name,dtype', PARAMS, ids=[f'{n}-{d}' for n, d in PARAMS])
def test_primitive(name, dtype, backend, request):
    if backend == 'c':
        request.getfixturevalue('prebuilt')
    cases = CASES[name]
    results = run_all(name, backend, cases)
    selected = [k for k, c in enumerate(cases) if c.dtype == dtype]
    assert selected
    for k in selected:
        check(name, cases[k], results[k])


def test_every_primitive_has_cases():
    """A newly registered primitive needs cases here (so it gets a kernel test)."""
    missing = [p.name for p in all_primitives() if not CASES[p.name]]
    assert not missing, f'primitives without kernel tests: {missing}'
    for p in all_primitives():
        dtypes = {c.dtype for c in CASES[p.name]}
        if p.kind != 'fill':
            assert {'float32', 'float64'} <= dtypes or p.name == 'logical_not', p.name


@pytest.mark.parametrize('name', [p.name for p in all_primitives()])
def test_every_primitive_lowers_to_c(name):
    """The C backend renders a one-node graph of every registered primitive."""
    from codegen.backends.c import render_source
    from codegen.passes.fuse import fuse

    case = CASES[name][0]
    g, _ = build_graph(name, [case])
    source, renderer = render_source(fuse(g))
    assert 'int tg_run(' in source
    assert renderer.stats['kernels'] >= (0 if name in ('reshape', 'constant') else 1)


# digamma next to its poles and below 0, to 16 digits (mpmath); SciPy 1.17 is off in the
# 3rd digit on the right of a pole, and x - floor(x) once rounded a tiny negative x to 1.
DIGAMMA_NEAR_POLES = [
    (-1e-300, 9.999999999999999e+299), (-1e-20, 1e+20), (-1e-05, 99999.42276788563),
    (-0.99999999999999, -100079991719343.94), (-1.99999999, -99999999.68496273),
    (-6.999999, -999997.9842155874), (-1.0000000001, 9999999173.019142)]


@pytest.mark.parametrize('backend', ['c'])
def test_digamma_near_poles(backend):
    x, want = (np.array(c) for c in zip(*DIGAMMA_NEAR_POLES))
    g = Graph()
    g.set_outputs([g.add('digamma', [g.input(x.shape, 'float64')])])
    got, = get_backend(backend).build(g)([x])
    np.testing.assert_allclose(got, want, rtol=1e-13)


OUT_OF_RANGE = {
    # primitive: (index of the hand-picked case, input index, bad index arrays)
    'take': (0, 1, [np.array([0, 4, 1, 1, 1], 'int32'), np.array([0, -5, 1, 1, 1], 'int32')]),
    'take_along_axis': (0, 1, [np.full((3, 1), 7, 'int32'), np.full((3, 1), -8, 'int32')]),
    'scatter_add': (0, 0, [np.array([0, 3, 3, 4, 0, 2], 'int32'),
                           np.array([0, 3, 3, -5, 0, 2], 'int32')]),
}


@pytest.mark.parametrize('name', sorted(OUT_OF_RANGE))
@pytest.mark.parametrize('backend', BACKENDS)
def test_out_of_range_index_raises(name, backend):
    cases = CASES[name]
    k, j, bads = OUT_OF_RANGE[name]
    k += len(sample_cases(get_primitive(name)))
    prog, _ = program(name, backend)
    for bad in bads:
        assert cases[k].inputs[j].dtype == bad.dtype
        inputs = [a.copy() for c in cases for a in c.inputs]
        pos = sum(len(c.inputs) for c in cases[:k]) + j
        inputs[pos] = bad
        with pytest.raises(IndexError):
            prog(inputs)
    # a good call afterwards still works
    run_all(name, backend, cases)
