"""LayerNormalization and GroupNormalization: per-sample normalization layers."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Link
from tracegrad.links.batch_normalization import _param_dtype, _typed_initializer
from tracegrad.variable import Parameter


class LayerNormalization(Link):
    """Layer normalization (Ba et al. 2016): normalize each sample over its features,
    then scale by ``gamma`` and shift by ``beta``.

    Args:
        size: the feature size, or None (taken from the first input, ``x.shape[1:]``
            flattened).
        eps: added to the variance for stability.
        initial_gamma: initializer of ``gamma`` (default 1).
        initial_beta: initializer of ``beta`` (default 0).

    >>> ln = L.LayerNormalization(3)
    >>> y = ln(np.array([[1., 2., 3.]], np.float32))
    >>> np.round(y.array, 4)
    array([[-1.2247,  0.    ,  1.2247]], dtype=float32)
    """

    def __init__(self, size=None, eps=1e-6, initial_gamma=None, initial_beta=None):
        super().__init__()
        self.eps = eps
        with self.init_scope():
            self.gamma = Parameter(1 if initial_gamma is None else initial_gamma)
            self.beta = Parameter(0 if initial_beta is None else initial_beta)
        if size is not None:
            self._initialize_params(size)

    def _initialize_params(self, size) -> None:
        self.gamma.initialize(size)
        self.beta.initialize(size)

    def forward(self, x):
        if self.gamma.array is None:
            size = 1
            for s in x.shape[1:]:
                size *= s
            self._initialize_params(size)
        return F.layer_normalization(x, self.gamma, self.beta, self.eps)


class GroupNormalization(Link):
    """Group normalization (Wu & He 2018): normalize each sample over groups of
    channels, then scale and shift per channel.

    Args:
        groups: the number of channel groups.
        size: the number of channels, or None (taken from the first input).
        eps: added to the variance for stability.
        initial_gamma: initializer of ``gamma`` (default 1).
        initial_beta: initializer of ``beta`` (default 0).
    """

    def __init__(self, groups, size=None, eps=1e-5, initial_gamma=None, initial_beta=None):
        super().__init__()
        self.groups = groups
        self.eps = eps
        dtype = _param_dtype(None)
        with self.init_scope():
            self.gamma = Parameter(_typed_initializer(
                1 if initial_gamma is None else initial_gamma, dtype))
            self.beta = Parameter(_typed_initializer(
                0 if initial_beta is None else initial_beta, dtype))
        if size is not None:
            self._initialize_params(size)

    def _initialize_params(self, size) -> None:
        self.gamma.initialize(size)
        self.beta.initialize(size)

    def forward(self, x):
        if self.gamma.array is None:
            if x.ndim < 2:
                raise ValueError('GroupNormalization: the input must have at least 2 axes '
                                 f'(batch, channels, ...), got shape {x.shape}')
            self._initialize_params(x.shape[1])
        return F.group_normalization(x, self.groups, self.gamma, self.beta, self.eps)
