"""Activation layers with parameters: PReLU, Swish and Maxout."""
from __future__ import annotations

import numpy

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.initializers import Initializer
from tracegrad.link import Chain, Link
from tracegrad.links.linear import Linear
from tracegrad.variable import Parameter, _is_array


class PReLU(Link):
    """Parametric ReLU: ``F.prelu(x, W)`` with a learned slope ``W`` for negatives.

    Args:
        shape: the shape of ``W`` (broadcast over ``x`` from axis 1).
        init: its initial value or initializer (default 0.25).

    >>> l = L.PReLU()
    >>> l(np.array([[-2., 1.]], np.float32)).array
    array([[-0.5,  1. ]], dtype=float32)
    """

    def __init__(self, shape=(), init=0.25):
        super().__init__()
        with self.init_scope():
            self.W = Parameter(init, shape)

    def forward(self, x):
        return F.prelu(x, self.W)


class Swish(Link):
    """Swish activation ``F.swish(x, beta)`` with a learned ``beta``.

    To try it instead of ReLU, give each layer its own ``Swish`` link (e.g.
    ``self.s1 = L.Swish(None)`` and ``h = self.s1(self.l1(x))``).

    Args:
        beta_shape (tuple of int or None): the shape of ``beta``; None defers
            it to the first call, where it becomes ``x.shape[1:]``.
        beta_init (float): the initial value of ``beta``.

    See `Searching for Activation Functions <https://arxiv.org/abs/1710.05941>`_.

    >>> s = L.Swish(None)
    >>> y = s(np.zeros((2, 3), np.float32))
    >>> s.beta.shape
    (3,)
    """

    def __init__(self, beta_shape, beta_init=1.0):
        super().__init__()
        with self.init_scope():
            if beta_shape is None:
                self.beta = Parameter(initializers.Constant(beta_init))
            else:
                self.beta = Parameter(beta_init, beta_shape)

    def forward(self, x):
        """Apply ``F.swish`` with this link's ``beta``."""
        if self.beta.array is None:
            self.beta.initialize(x.shape[1:])
        return F.swish(x, self.beta)


def _reshaped_initializer(init, ndim: int, full_shape: tuple, flat_shape: tuple, what: str):
    """Adapt an initializer given for ``full_shape`` to the linear layer's ``flat_shape``."""
    if init is None or numpy.isscalar(init) or isinstance(init, Initializer):
        return init
    if _is_array(init):
        if init.ndim != ndim:
            raise ValueError(f'Maxout: {what}.ndim should be {ndim}, got {init.ndim}')
        return init.reshape(flat_shape)
    if callable(init):
        def reshaped(array):
            init(array.reshape(full_shape))
        return reshaped
    return init


class Maxout(Chain):
    """A maxout layer: a linear map to ``out_size * pool_size`` units, then the max
    over each group of ``pool_size`` (``F.maxout``).

    Args:
        in_size: the input size.
        out_size: the output size.
        pool_size: the number of units each output takes the max over.
        initialW: initializer of the weight, of shape ``(out_size, pool_size,
            in_size)`` when an array.
        initial_bias: initializer of the bias, of shape ``(out_size, pool_size)``
            when an array; None for no bias.
    """

    def __init__(self, in_size, out_size, pool_size, initialW=None, initial_bias=0):
        super().__init__()
        linear_out_size = out_size * pool_size
        initialW = _reshaped_initializer(initialW, 3, (out_size, pool_size, in_size),
                                         (linear_out_size, in_size), 'initialW')
        initial_bias = _reshaped_initializer(initial_bias, 2, (out_size, pool_size),
                                             (linear_out_size,), 'initial_bias')
        with self.init_scope():
            self.linear = Linear(in_size, linear_out_size, nobias=initial_bias is None,
                                 initialW=initialW, initial_bias=initial_bias)
        self.out_size = out_size
        self.pool_size = pool_size

    def forward(self, x):
        return F.maxout(self.linear(x), self.pool_size)
