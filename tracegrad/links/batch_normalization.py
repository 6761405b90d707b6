"""BatchNormalization: normalization by batch statistics, with running averages."""
from __future__ import annotations

import copy

import numpy

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.configuration import config
from tracegrad.link import Link
from tracegrad.variable import Parameter


def _param_dtype(dtype) -> numpy.dtype:
    """The dtype of the scale, shift and statistics: float16 is kept in float32."""
    dtype = numpy.dtype(config.dtype if dtype is None else dtype)
    return numpy.dtype(numpy.float32) if dtype == numpy.float16 else dtype


def _typed_initializer(init, dtype):
    """An initializer for ``init`` that produces ``dtype`` (a user's object is copied,
    not changed)."""
    init = initializers._get_initializer(init)
    if isinstance(init, initializers.Initializer):
        init = copy.copy(init)
        init.dtype = dtype
    return init


class BatchNormalization(Link):
    """Batch normalization with learnable ``gamma`` and ``beta`` (Ioffe & Szegedy 2015).

    In training (``config.train``) the input is normalized with the statistics of
    the batch, and the running averages ``avg_mean`` and ``avg_var`` are updated
    with ``decay``; in testing the running averages are used. With
    ``finetune=True`` in training, the averages become the plain mean over all
    batches since :meth:`start_finetuning` (``N`` counts them).

    Args:
        size: the shape (int or tuple) of the parameters and statistics, or None
            (then ``axis`` is required and the shape comes from the first input).
        decay: the decay rate of the running averages.
        eps: added to the variance for stability.
        dtype: the dtype of the parameters and statistics (default ``config.dtype``).
        use_gamma: if False, there is no scale (it is 1).
        use_beta: if False, there is no shift (it is 0).
        initial_gamma: initializer of ``gamma`` (default 1).
        initial_beta: initializer of ``beta`` (default 0).
        axis: the axes averaged over (default: 0 and the axes after ``size``).
        initial_avg_mean: initializer of ``avg_mean`` (default 0).
        initial_avg_var: initializer of ``avg_var`` (default 1).

    >>> x = np.arange(12).reshape(4, 3).astype(np.float32) ** 2
    >>> x
    array([[  0.,   1.,   4.],
           [  9.,  16.,  25.],
           [ 36.,  49.,  64.],
           [ 81., 100., 121.]], dtype=float32)
    >>> bn = chainer.links.BatchNormalization(3)
    >>> bn(x)
    variable([[-1.        , -1.0664359 , -1.1117983 ],
              [-0.71428573, -0.6714596 , -0.6401263 ],
              [ 0.14285715,  0.19748813,  0.23583598],
              [ 1.5714287 ,  1.5404074 ,  1.5160885 ]])
    >>> (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 2e-5)  # last digits vary by NumPy version
    array([[-1.        , -1.0664359 , -1.1117983 ],
           [-0.71428573, -0.6714596 , -0.6401263 ],
           [ 0.14285715,  0.19748813,  0.235836... ],
           [ 1.57142...,  1.5404074 ,  1.516088... ]], dtype=float32)

    With a parameter size, or with the axes to average over:

    >>> x = np.random.randn(10, 3, 32, 32).astype(np.float32)
    >>> bn = chainer.links.BatchNormalization(3)
    >>> bn.avg_mean.shape
    (3,)
    >>> bn.beta += 2.0
    >>> bn.gamma *= 5.0
    >>> list(sorted(bn.namedparams()))  # doctest: +ELLIPSIS
    [('/beta', variable([2., ...])), ('/gamma', variable([5., ...]))]
    >>> y = bn(x)
    >>> y.shape
    (10, 3, 32, 32)
    >>> np.testing.assert_allclose(
    ...     y.array.mean(axis=(0, 2, 3)), bn.beta.array, atol=1e-6)
    >>> np.testing.assert_allclose(
    ...     y.array.std(axis=(0, 2, 3)),
    ...     bn.gamma.array, atol=1e-3)
    >>> bn = chainer.links.BatchNormalization((3, 32, 32))
    >>> bn.avg_mean.shape
    (3, 32, 32)
    >>> y = bn(x)
    >>> y.shape
    (10, 3, 32, 32)
    >>> bn = chainer.links.BatchNormalization(axis=(0, 2, 3))
    >>> print(bn.avg_mean)
    None
    >>> y = bn(x)
    >>> bn.avg_mean.shape
    (3,)
    >>> bn = chainer.links.BatchNormalization(axis=0)
    >>> y = bn(x)
    >>> bn.avg_mean.shape
    (3, 32, 32)
    """

    gamma = None
    beta = None

    def __init__(self, size=None, decay=0.9, eps=2e-5, dtype=None, use_gamma=True,
                 use_beta=True, initial_gamma=None, initial_beta=None, axis=None,
                 initial_avg_mean=None, initial_avg_var=None):
        super().__init__()
        if size is None and axis is None:
            raise RuntimeError('BatchNormalization: size or axis is required')
        self._initial_avg_mean = initial_avg_mean
        self._initial_avg_var = initial_avg_var
        self.N = 0
        self.register_persistent('N')
        self.decay = decay
        self.eps = eps
        if isinstance(axis, (int, numpy.integer)):
            axis = (int(axis),)
        self.axis = axis
        self._highprec_dtype = _param_dtype(dtype)
        with self.init_scope():
            if use_gamma:
                self.gamma = Parameter(_typed_initializer(
                    1 if initial_gamma is None else initial_gamma, self._highprec_dtype))
            if use_beta:
                self.beta = Parameter(_typed_initializer(
                    0 if initial_beta is None else initial_beta, self._highprec_dtype))
        self.avg_mean = None
        self.avg_var = None
        if size is not None:
            self._initialize_params(size)
        self.register_persistent('avg_mean')
        self.register_persistent('avg_var')

    def _initialize_params(self, shape) -> None:
        self.avg_mean = self._init_statistic(self._initial_avg_mean, 0, shape)
        self._initial_avg_mean = None
        self.avg_var = self._init_statistic(self._initial_avg_var, 1, shape)
        self._initial_avg_var = None
        if self.gamma is not None:
            self.gamma.initialize(shape)
        if self.beta is not None:
            self.beta.initialize(shape)

    def _init_statistic(self, init, default, shape):
        init = initializers._get_initializer(default if init is None else init)
        return initializers.generate_array(init, shape, self.xp, dtype=self._highprec_dtype,
                                           device=self.device)

    @property
    def printable_specs(self):
        yield 'size', self.avg_mean.shape[0]
        yield 'decay', self.decay
        yield 'eps', self.eps
        yield 'dtype', self.avg_mean.dtype
        yield 'use_gamma', self.gamma is not None
        yield 'use_beta', self.beta is not None

    def forward(self, x, *, finetune: bool = False):
        """Normalize ``x``; in training with ``finetune=True``, accumulate population
        statistics instead of exponential averages."""
        if self.avg_mean is None:
            axis = self.axis
            self._initialize_params(tuple(d for i, d in enumerate(x.shape) if i not in axis))
        xp = self.xp
        gamma = self.gamma
        if gamma is None:
            gamma = xp.ones(self.avg_mean.shape, dtype=self._highprec_dtype)
        beta = self.beta
        if beta is None:
            beta = xp.zeros(self.avg_mean.shape, dtype=self._highprec_dtype)
        if not config.train:
            return F.fixed_batch_normalization(x, gamma, beta, self.avg_mean, self.avg_var,
                                               self.eps, axis=self.axis)
        if finetune:
            self.N += 1
            decay = 1. - 1. / self.N
        else:
            decay = self.decay
        avg_mean, avg_var = self.avg_mean, self.avg_var
        if config.in_recomputing:  # a recomputed forward must not count twice
            if finetune:
                self.N -= 1
            avg_mean = avg_var = None
        return F.batch_normalization(x, gamma, beta, eps=self.eps, running_mean=avg_mean,
                                     running_var=avg_var, decay=decay, axis=self.axis)

    def start_finetuning(self) -> None:
        """Reset the count of batches averaged in fine-tuning mode."""
        self.N = 0
