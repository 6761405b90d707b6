"""BlackOut: a sampled-softmax output layer with its sampler."""
from __future__ import annotations

import numpy

from tracegrad.functions.loss.black_out import black_out
from tracegrad.functions.loss.negative_sampling import draw_samples
from tracegrad.link import Link
from tracegrad.utils.walker_alias import WalkerAlias
from tracegrad.variable import Parameter


class BlackOut(Link):
    """BlackOut loss layer: holds ``W`` and a sampler of negative words.

    Negative words are drawn with probabilities proportional to ``counts`` by a
    :class:`~tracegrad.utils.WalkerAlias` sampler, which moves with the link.

    Args:
        in_size (int): the size of the input vectors.
        counts (sequence of int): the frequency of each word; ``len(counts)`` is the
            vocabulary size.
        sample_size (int): the number of negative samples per input.

    Attributes:
        W (~tracegrad.Parameter): the output word vectors ``(len(counts), in_size)``;
            like Chainer's it starts filled with NaN: set it before training.
        sampler (~tracegrad.utils.WalkerAlias): the sampler of negative words.
        sample_data (array or None): fixed samples to use instead of drawing
            (for tests); None draws.

    .. seealso:: :func:`~tracegrad.functions.black_out`.
    """

    sample_data = None

    def __init__(self, in_size, counts, sample_size):
        super().__init__()
        self.sampler = WalkerAlias(numpy.array(counts, numpy.float32))
        self.sample_size = sample_size
        with self.init_scope():
            self.W = Parameter(shape=(len(counts), in_size))

    def _move_state(self, device) -> None:
        self.sampler.to_device(device)

    def forward(self, x, t):
        """The mean BlackOut loss of inputs ``x`` ``(N, in_size)`` for the words ``t``."""
        samples = self.sample_data
        if samples is None:
            samples = draw_samples('BlackOut', self.sampler.sample, x,
                                   (x.shape[0], self.sample_size))
        return black_out(x, t, self.W, samples)
