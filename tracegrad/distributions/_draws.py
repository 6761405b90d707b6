"""Random draws for sampling, made as Chainer makes them.

On NumPy they come from NumPy's global random state (float64, cast to the
parameters' dtype); on CuPy from ``cupy.random`` in the parameters' dtype. While a
step is traced, ``xp`` is the tracer's namespace and each draw becomes a graph
input filled from the same generator, so compiled and eager steps draw alike.
"""
from __future__ import annotations

import numpy

from tracegrad.backends import cuda
from tracegrad.functions.noise.gaussian import draw_standard_normal

__all__ = ['draw_from', 'draw_open_uniform', 'draw_standard_normal']


def draw_open_uniform(xp, shape: tuple, dtype):
    """Uniform draws in the open interval (0, 1), in ``dtype``.

    Kept strictly inside (0, 1) after the cast to ``dtype``, so that inverse-CDF
    transforms (``log(u)``, ``tan(pi (u - 1/2))``) stay finite.
    """
    dtype = numpy.dtype(dtype)
    if cuda.random_takes_dtype(xp):
        drawn = numpy.float32 if dtype == numpy.float16 else dtype
        u = xp.random.uniform(0.0, 1.0, shape, dtype=drawn).astype(dtype, copy=False)
    else:
        u = xp.asarray(xp.random.uniform(0.0, 1.0, shape)).astype(dtype, copy=False)
    info = numpy.finfo(dtype)
    return xp.minimum(xp.maximum(u, dtype.type(info.tiny)), dtype.type(1 - info.epsneg))


def draw_from(xp, kind: str, args: tuple, shape: tuple, dtype):
    """``xp.random.<kind>(*args, size=shape)`` in ``dtype`` (gamma, beta, chisquare...).

    On CuPy the draws are made in ``dtype``; on NumPy they are float64 from the global
    random state, cast. These samplers have no IR primitive, so a traced step that
    draws with them raises CompileError naming ``kind``.
    """
    dtype = numpy.dtype(dtype)
    draw = getattr(xp.random, kind)
    if cuda.random_takes_dtype(xp):
        drawn = numpy.float32 if dtype == numpy.float16 else dtype
        return draw(*args, size=shape, dtype=drawn).astype(dtype, copy=False)
    return xp.asarray(draw(*args, size=shape)).astype(dtype, copy=False)
