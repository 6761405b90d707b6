"""Linear: the fully-connected layer ``y = x W^T + b``."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.link import Link
from tracegrad.variable import Parameter


class Linear(Link):
    """A fully-connected layer: ``F.linear(x, W, b)``.

    ``W`` has shape ``(out_size, in_size)`` and is LeCunNormal-initialized by
    default; ``b`` has shape ``(out_size,)`` and starts at 0. When ``in_size`` is
    None (or only one size is given), ``W`` is created on the first call from
    the input's size.

    Args:
        in_size: the input size, or None for lazy initialization. Given alone, it
            is the output size.
        out_size: the output size.
        nobias: if True, there is no bias.
        initialW: initializer, array or scalar for ``W``.
        initial_bias: initializer, array or scalar for ``b`` (default 0).

    >>> x = np.array([[0, 1, 2, 3, 4]], np.float32)
    >>> l = L.Linear(5, 10)
    >>> l(x).shape
    (1, 10)
    >>> l = L.Linear(10)
    >>> l(x).shape
    (1, 10)
    >>> l = L.Linear(None, 10)
    >>> l(x).shape
    (1, 10)
    >>> l = L.Linear(None, 10, False, None, 0)
    >>> l(x).shape
    (1, 10)
    >>> l = L.Linear(10, nobias=False, initialW=None, initial_bias=0)
    >>> l(x).shape
    (1, 10)
    """

    def __init__(self, in_size, out_size=None, nobias=False, initialW=None, initial_bias=None):
        super().__init__()
        if out_size is None:
            in_size, out_size = None, in_size
        self.in_size = in_size
        self.out_size = out_size
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_size is not None:
                self._initialize_params(in_size)
            if nobias:
                self.b = None
            else:
                self.b = Parameter(initializers._get_initializer(
                    0 if initial_bias is None else initial_bias), out_size)

    def _initialize_params(self, in_size: int) -> None:
        self.W.initialize((self.out_size, in_size))

    @property
    def printable_specs(self):
        yield 'in_size', self.in_size
        yield 'out_size', self.out_size
        yield 'nobias', self.b is None

    def forward(self, x, n_batch_axes: int = 1):
        """Apply the layer to ``x``; axes after the first ``n_batch_axes`` are features."""
        if self.W.array is None:
            in_size = 1
            for s in x.shape[n_batch_axes:]:
                in_size *= s
            self._initialize_params(in_size)
        return F.linear(x, self.W, self.b, n_batch_axes=n_batch_axes)
