"""DecorrelatedBatchNormalization: ZCA whitening of channel groups, with running statistics."""
from __future__ import annotations

import numpy

from tracegrad import functions as F
from tracegrad.configuration import config
from tracegrad.link import Link


class DecorrelatedBatchNormalization(Link):
    """Decorrelated batch normalization (Huang et al. 2018), without scale or shift.

    In training the input is whitened with the statistics of the batch (see
    :func:`~tracegrad.functions.decorrelated_batch_normalization`) and the
    running averages ``avg_mean`` (groups, C) and ``avg_projection``
    (groups, C, C) are updated; in testing they are used instead. With
    ``finetune=True`` in training the averages are the plain mean over the
    batches since :meth:`start_finetuning` (``N`` counts them).

    Args:
        size (int): the number of channels (axis 1 of the input).
        groups (int): the number of channel groups whitened separately;
            ``C = size // groups``.
        decay (float): decay rate of the running averages.
        eps (float): added to the covariance's diagonal for stability.
        dtype: the dtype of the running statistics.

    >>> dbn = chainer.links.DecorrelatedBatchNormalization(4, groups=2)
    >>> dbn.avg_projection.shape
    (2, 2, 2)
    >>> y = dbn(np.random.randn(8, 4).astype(np.float32))
    >>> y.shape
    (8, 4)
    """

    def __init__(self, size, groups=16, decay=0.9, eps=2e-5, dtype=numpy.float32):
        super().__init__()
        if size % groups:
            raise ValueError(f'DecorrelatedBatchNormalization: size {size} is not a multiple '
                             f'of groups {groups}')
        n_channels = size // groups
        self.avg_mean = numpy.zeros((groups, n_channels), dtype=dtype)
        self.register_persistent('avg_mean')
        self.avg_projection = numpy.broadcast_to(
            numpy.eye(n_channels, dtype=dtype), (groups, n_channels, n_channels)).copy()
        self.register_persistent('avg_projection')
        self.N = 0
        self.register_persistent('N')
        self.decay = decay
        self.eps = eps
        self.groups = groups

    def forward(self, x, *, finetune=False):
        """Whiten ``x`` with batch statistics (training) or the running ones (test)."""
        if not config.train:
            return F.fixed_decorrelated_batch_normalization(x, self.avg_mean,
                                                            self.avg_projection, self.groups)
        if finetune:
            self.N += 1
            decay = 1. - 1. / self.N
        else:
            decay = self.decay
        avg_mean, avg_projection = self.avg_mean, self.avg_projection
        if config.in_recomputing:  # a recomputed forward (F.forget) must not update twice
            if finetune:
                self.N -= 1
            avg_mean = avg_projection = None
        return F.decorrelated_batch_normalization(
            x, groups=self.groups, eps=self.eps, running_mean=avg_mean,
            running_projection=avg_projection, decay=decay)

    def start_finetuning(self) -> None:
        """Reset the count of batches averaged in fine-tuning mode."""
        self.N = 0
