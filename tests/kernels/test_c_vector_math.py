"""The C backend's math functions in vectorised loops (glibc's libmvec where it is there).

Each function of ``codegen.backends.c.VECTOR_MATH`` runs over 1003 elements (vector
lanes and a remainder), special values spread among them, in float32 and float64,
against its NumPy semantics: within a few ulp, with NaN, infinities and signed zeros
where NumPy has them.
"""
import platform

import numpy as np
import pytest

from codegen import Graph, get_primitive
from codegen.backends import c as cbackend

DOMAINS = {'acos': (-1, 1), 'asin': (-1, 1), 'atanh': (-1, 1), 'log': (0, 1e4),
           'log1p': (-1, 1e4), 'exp': (-90, 90), 'expm1': (-90, 90), 'cosh': (-90, 90),
           'sinh': (-90, 90), 'pow': (0, 5)}
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30]
# ulp from NumPy's (SciPy's) value allowed; glibc's erfc, scalar as vector, is 33 ulp from
# SciPy's at x = 8.72 (where it is 5.7e-35)
ULP = {('erfc', 'float64'): 64}


def _have_libmvec() -> bool:
    libc, version = platform.libc_ver()
    if libc != 'glibc' or platform.machine() != 'x86_64' or not version:
        return False
    return tuple(int(p) for p in version.split('.')[:2]) >= (2, 35)


def operands(name: str, dtype: str, arity: int):
    rng = np.random.RandomState(len(name) * 7 + arity)
    low, high = DOMAINS.get(name, (-10, 10))
    xs = []
    for k in range(arity):
        x = rng.uniform(low, high, 1003)
        x[k::97][:len(SPECIAL)] = SPECIAL   # spread over lanes, not only the remainder
        xs.append(x.astype(dtype))
    return xs


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('name', sorted(cbackend.VECTOR_MATH))
def test_vector_math_matches_numpy(name, dtype):
    arity = cbackend.VECTOR_MATH[name]
    g = Graph()
    inputs = [g.input((1003,), dtype) for _ in range(arity)]
    g.set_outputs([g.add(name, inputs)])
    xs = operands(name, dtype, arity)
    prog = cbackend.build(g)
    (got,) = prog(xs)
    with np.errstate(all='ignore'):
        want = np.asarray(get_primitive(name).reference(np, *xs), dtype)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    eps = np.finfo(dtype).eps
    scale = np.maximum(np.abs(want[finite]), np.finfo(dtype).tiny)
    assert np.max(np.abs(got[finite] - want[finite]) / scale) <= ULP.get((name, dtype), 8) * eps
    zeros = finite & (want == 0)
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))
    with open(prog.source_path[:-len('.c')] + '.so', 'rb') as f:
        vectorised = b'_ZGV' in f.read()
    assert vectorised == _have_libmvec()
