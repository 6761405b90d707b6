"""Sampling from a Gaussian with given mean and log-variance: ``gaussian``.

The standard normal noise ``eps`` is drawn in the public function, as Chainer
draws it (NumPy's global random state on the CPU, ``cupy.random`` on a GPU),
and enters the node as a third, non-differentiable input.
"""
from __future__ import annotations

import numpy

from tracegrad.backend import get_array_module
from tracegrad.backends import cuda
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['gaussian']


class Gaussian(FunctionNode):
    """``mean + exp(ln_var / 2) * eps`` for a given standard normal sample ``eps``."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('mean', 'ln_var', 'eps'))
        m, v, e = in_types
        type_check.expect(
            m.dtype.kind == 'f',
            m.dtype == v.dtype,
            m.shape == v.shape,
            e.dtype == m.dtype,
            e.shape == v.shape,
        )

    def forward(self, inputs):
        mean, ln_var, eps = inputs
        self.retain_inputs((1, 2))
        xp = get_array_module(mean)
        return mean + xp.exp(ln_var * ln_var.dtype.type(0.5)) * eps,

    def backward(self, indexes, grad_outputs):
        from tracegrad.functions.math.exponential import exp

        ln_var, eps = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:
                ret.append(gy)
            elif i == 1:
                ret.append(gy * exp(ln_var * 0.5) * eps * 0.5)
            else:
                ret.append(None)
        return tuple(ret)


def draw_standard_normal(xp, shape: tuple, dtype):
    """Standard normal noise of ``shape`` and ``dtype``, drawn as Chainer draws it."""
    dtype = numpy.dtype(dtype)
    if cuda.random_takes_dtype(xp):
        if dtype == numpy.float16:  # cupy.random draws float32 or float64 only
            return xp.random.standard_normal(shape, dtype=numpy.float32).astype(dtype)
        return xp.random.standard_normal(shape, dtype=dtype)
    # NumPy (or the tracer's stand-in for it) draws float64, cast as Chainer does.
    return xp.asarray(xp.random.standard_normal(shape)).astype(dtype, copy=False)


def gaussian(mean, ln_var, **kwargs) -> Variable:
    """gaussian(mean, ln_var, *, eps=None, return_eps=False)

    Draw a sample of :math:`N(\\mu, \\sigma^2)` from :math:`\\mu` and
    :math:`\\log \\sigma^2`, as ``mean + exp(ln_var / 2) * eps`` with standard
    normal ``eps`` (the reparameterisation trick: the sample is differentiable
    in both inputs).

    Args:
        mean (Variable or array): the mean :math:`\\mu`.
        ln_var (Variable or array): the log-variance, of the same shape and dtype.
        eps (array or None): the standard normal noise to use instead of a
            fresh draw; same shape, dtype and device as ``ln_var``.
        return_eps (bool): also return the noise used, to reuse it later.

    Returns:
        ~tracegrad.Variable of the shape of ``mean``, or ``(Variable, eps)``
        with ``return_eps=True``.

    >>> mean = np.zeros(3, np.float32)
    >>> y, eps = F.gaussian(mean, np.zeros(3, np.float32), return_eps=True)
    >>> bool((y.array == eps).all())
    True
    """
    eps = None
    return_eps = False
    if kwargs:
        unknown = set(kwargs) - {'eps', 'return_eps'}
        if unknown:
            raise TypeError(f'gaussian() got unexpected keyword argument(s) '
                            f'{", ".join(sorted(unknown))}')
        eps = kwargs.get('eps')
        return_eps = kwargs.get('return_eps', False)
    if eps is None:
        eps = draw_standard_normal(get_array_module(ln_var), ln_var.shape, mean.dtype)
    out = Gaussian().apply((mean, ln_var, eps))[0]
    if return_eps:
        return out, eps
    return out
