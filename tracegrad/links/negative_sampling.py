"""NegativeSampling: the word2vec output layer with its noise sampler."""
from __future__ import annotations

import numpy

from tracegrad import get_dtype, initializers
from tracegrad.functions.loss.negative_sampling import negative_sampling
from tracegrad.link import Link
from tracegrad.utils.walker_alias import WalkerAlias
from tracegrad.variable import Parameter


class NegativeSampling(Link):
    """Negative sampling loss layer: holds ``W`` and a sampler of negative words.

    Negative words are drawn with probabilities proportional to ``counts ** power``
    by a :class:`~tracegrad.utils.WalkerAlias` sampler, which moves with the link
    (``to_device``, ``to_gpu``, ``to_cpu``).

    Args:
        in_size (int): the size of the input vectors.
        counts (sequence of int): the frequency of each word; ``len(counts)`` is the
            vocabulary size.
        sample_size (int): the number of negative samples per input.
        power (float): the exponent :math:`\\alpha` applied to the counts.
        dtype: the dtype of ``W`` (default ``config.dtype``).

    Attributes:
        W (~tracegrad.Parameter): the output word vectors ``(len(counts), in_size)``,
            initialized to zeros.
        sampler (~tracegrad.utils.WalkerAlias): the sampler of negative words.

    .. seealso:: :func:`~tracegrad.functions.negative_sampling`.

    >>> ns = L.NegativeSampling(3, [5, 2, 1, 1], sample_size=2)
    >>> ns.W.shape
    (4, 3)
    >>> x = np.ones((2, 3), np.float32)
    >>> ns(x, np.array([0, 3], np.int32))  # W is zero: every score is log 2
    variable(4.158883)
    """

    def __init__(self, in_size, counts, sample_size, power=0.75, dtype=None):
        super().__init__()
        dtype = get_dtype(dtype)
        self.sample_size = sample_size
        # in float64: word counts overflow float16, and W's dtype is no reason to round
        weights = numpy.power(numpy.array(counts, numpy.float64), power)
        self.sampler = WalkerAlias(weights)
        with self.init_scope():
            self.W = Parameter(initializers.Constant(0, dtype), (len(counts), in_size))

    def _move_state(self, device) -> None:
        self.sampler.to_device(device)

    def forward(self, x, t, reduce='sum', **kwargs):
        """forward(x, t, reduce='sum', *, return_samples=False)

        The negative sampling loss of inputs ``x`` for the words ``t``.

        Args:
            x (~tracegrad.Variable or array): inputs ``(N, in_size)``.
            t (~tracegrad.Variable or array): int32 word ids ``(N,)`` (-1: ignored).
            reduce (str): ``'sum'`` or ``'no'``.
            return_samples (bool): also return the samples (the first column holds
                ``t``).

        Returns:
            ~tracegrad.Variable, or ``(Variable, samples)`` with ``return_samples=True``.
        """
        return negative_sampling(x, t, self.W, self.sampler.sample, self.sample_size,
                                 reduce=reduce, **kwargs)
