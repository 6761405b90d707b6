"""SimplifiedDropconnect: a linear layer whose weights are randomly dropped in training."""
from __future__ import annotations

import numpy

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.link import Link
from tracegrad.variable import Parameter


class SimplifiedDropconnect(Link):
    """A fully connected layer regularized by simplified dropconnect.

    Args:
        in_size (int or None): the input size (flattened features); None
            defers it to the first call.
        out_size (int): the output size.
        ratio (float): the probability of dropping a weight.
        nobias (bool): no bias if True.
        initialW: initializer of ``W`` (default ``HeNormal(1 / sqrt(2))``).
        initial_bias: initializer of ``b`` (default 0).

    >>> l = L.SimplifiedDropconnect(3, 2)
    >>> l(np.ones((4, 3), np.float32)).shape
    (4, 2)
    """

    def __init__(self, in_size, out_size, ratio=.5, nobias=False, initialW=None,
                 initial_bias=None):
        super().__init__()
        self.out_size = out_size
        self.ratio = ratio
        if initialW is None:
            initialW = initializers.HeNormal(1. / numpy.sqrt(2))
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_size is not None:
                self._initialize_params(in_size)
            if nobias:
                self.b = None
            else:
                self.b = Parameter(initializers._get_initializer(
                    0 if initial_bias is None else initial_bias), out_size)

    def _initialize_params(self, in_size) -> None:
        self.W.initialize((self.out_size, in_size))

    def forward(self, x, train=True, mask=None, use_batchwise_mask=True):
        """Apply the layer (see :func:`~tracegrad.functions.simplified_dropconnect`).

        Args:
            x: input; axis 0 is the batch.
            train (bool): if False, act as a plain linear layer.
            mask: a mask to use instead of a random one, (M, N) or (n, M, N);
                the first one given is also kept as the persistent ``mask``.
            use_batchwise_mask (bool): one random mask per sample.

        Returns:
            ~tracegrad.Variable: output of shape (n, out_size).
        """
        if self.W.array is None:
            self._initialize_params(x.size // len(x))
        if mask is not None and 'mask' not in self.__dict__:
            self.add_persistent('mask', mask)
        return F.simplified_dropconnect(x, self.W, self.b, self.ratio, train, mask,
                                        use_batchwise_mask)
