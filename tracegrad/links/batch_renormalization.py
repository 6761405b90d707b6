"""BatchRenormalization: batch normalization corrected towards its running statistics."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.configuration import config
from tracegrad.links.batch_normalization import BatchNormalization


class BatchRenormalization(BatchNormalization):
    """Batch renormalization (Ioffe 2017) with learnable ``gamma`` and ``beta``.

    In training it calls :func:`~tracegrad.functions.batch_renormalization`
    with the running averages ``avg_mean``/``avg_var`` (updated in place); in
    testing it normalizes with those averages, as
    :class:`BatchNormalization` does. ``r`` and ``d`` are limited by ``rmax``
    and ``dmax``; ``rmax=1, dmax=0`` gives batch normalization.

    Args:
        size (int or tuple of int): the shape of the parameters and statistics.
        rmax (float): the largest allowed correction of the scale.
        dmax (float): the largest allowed correction of the mean.
        decay (float): decay rate of the running averages.
        eps (float): added to the variances for stability.
        dtype: the dtype of the parameters and statistics.
        use_gamma (bool): if False, there is no scale.
        use_beta (bool): if False, there is no shift.
        initial_gamma: initializer of ``gamma`` (default 1).
        initial_beta: initializer of ``beta`` (default 0).
        initial_avg_mean: initializer of ``avg_mean`` (default 0).
        initial_avg_var: initializer of ``avg_var`` (default 1).

    >>> bn = chainer.links.BatchRenormalization(3, rmax=2., dmax=1., decay=0.5)
    >>> x = np.arange(12, dtype=np.float32).reshape(4, 3)
    >>> with chainer.using_config('train', True):
    ...     y = bn(x)
    >>> y.shape
    (4, 3)
    >>> bn.avg_mean
    array([2.25, 2.75, 3.25], dtype=float32)
    """

    def __init__(self, size, rmax=1, dmax=0, decay=0.9, eps=2e-5, dtype=None,
                 use_gamma=True, use_beta=True, initial_gamma=None, initial_beta=None,
                 initial_avg_mean=None, initial_avg_var=None):
        super().__init__(size, decay=decay, eps=eps, dtype=dtype, use_gamma=use_gamma,
                         use_beta=use_beta, initial_gamma=initial_gamma,
                         initial_beta=initial_beta, initial_avg_mean=initial_avg_mean,
                         initial_avg_var=initial_avg_var)
        self.rmax = rmax
        self.dmax = dmax

    def forward(self, x, finetune=False):
        """Renormalize ``x`` (training) or normalize it with the running averages (test)."""
        xp = self.xp
        gamma = self.gamma
        if gamma is None:
            gamma = xp.ones(self.avg_mean.shape, dtype=self._highprec_dtype)
        beta = self.beta
        if beta is None:
            beta = xp.zeros(self.avg_mean.shape, dtype=self._highprec_dtype)
        if not config.train:
            return F.fixed_batch_normalization(x, gamma, beta, self.avg_mean, self.avg_var,
                                               self.eps)
        if finetune:
            self.N += 1
            decay = 1. - 1. / self.N
        else:
            decay = self.decay
        avg_mean, avg_var = self.avg_mean, self.avg_var
        update = True
        if config.in_recomputing:
            # F.forget runs this forward again for backward: use the statistics of the
            # first run (r and d depend on them) and do not update them twice.
            if finetune:
                self.N -= 1
            avg_mean, avg_var = self._prev_avg_mean, self._prev_avg_var
            update = False
        elif getattr(config, '_will_recompute', False):
            self._prev_avg_mean = avg_mean.copy()
            self._prev_avg_var = avg_var.copy()
        return F.batch_renormalization(x, gamma, beta, self.rmax, self.dmax, self.eps,
                                       avg_mean, avg_var, decay, update_statistics=update)
