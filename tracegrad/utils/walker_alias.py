"""Walker's alias method: draws from a fixed discrete distribution in O(1) per sample.

The table is built once on the host (Vose's construction). Each slot ``i`` of the
table keeps its own entry with probability ``threshold[i]`` and hands the rest of its
mass to an alias. A draw picks a slot uniformly and then one of its two entries, so
sampling is two gathers and a comparison: written against ``xp``, it runs on NumPy,
CuPy and while tracing (its uniform draw becomes a random input of the compiled step).
"""
from __future__ import annotations

import numpy

from tracegrad import backend

__all__ = ['WalkerAlias']


def _alias_table(probs) -> tuple:
    """``(threshold, values)``: slot ``i`` keeps ``values[2 * i]`` when its uniform
    fraction is below ``threshold[i]`` and takes its alias ``values[2 * i + 1]`` otherwise."""
    p = numpy.array(probs, dtype=numpy.float64).ravel()
    n = len(p)
    if n == 0:
        raise ValueError('WalkerAlias: probs must hold at least one probability')
    if not numpy.isfinite(p).all() or (p < 0).any():
        raise ValueError('WalkerAlias: probs must be finite and non-negative')
    total = p.sum()
    if total <= 0:
        raise ValueError('WalkerAlias: probs must not all be zero')
    scaled = p * (n / total)  # the mean slot mass is 1
    threshold = numpy.ones(n, numpy.float64)
    alias = numpy.arange(n, dtype=numpy.int32)
    small = [i for i in range(n) if scaled[i] < 1]
    large = [i for i in range(n) if scaled[i] >= 1]
    while small and large:
        s, g = small.pop(), large.pop()
        threshold[s] = scaled[s]
        alias[s] = g
        scaled[g] -= 1 - scaled[s]  # g fills what s lacks of a full slot
        (small if scaled[g] < 1 else large).append(g)
    # Whatever is left holds a full slot up to rounding: it keeps itself.
    values = numpy.empty(2 * n, numpy.int32)
    values[0::2] = numpy.arange(n, dtype=numpy.int32)
    values[1::2] = alias
    return threshold.astype(numpy.float32), values


class WalkerAlias:
    """Sampler of integers ``0 .. len(probs) - 1`` with the given relative probabilities.

    Walker's alias method draws each sample in constant time, however many entries
    there are, which makes it the sampler of negative sampling over a vocabulary.

    Args:
        probs (sequence of float): non-negative weights of the entries; they are
            divided by their sum.

    Attributes:
        threshold (array): float32 array of shape ``(n,)``, the probability that a
            slot keeps its own entry.
        values (array): int32 array of shape ``(2 * n,)``, each slot's own entry and
            its alias.

    >>> sampler = chainer.utils.WalkerAlias([0.5, 0.25, 0.25])
    >>> s = sampler.sample((2, 3))
    >>> s.shape, s.dtype
    ((2, 3), dtype('int32'))

    See https://en.wikipedia.org/wiki/Alias_method.
    """

    def __init__(self, probs):
        self.threshold, self.values = _alias_table(probs)
        self._device = backend.CpuDevice()

    @property
    def device(self) -> backend.Device:
        """The device the table lives on (where :meth:`sample` returns arrays)."""
        return self._device

    @property
    def xp(self):
        """The array module of :attr:`device`."""
        return self._device.xp

    @property
    def use_gpu(self) -> bool:
        """Whether the table lives on a GPU (CuPy)."""
        return self.xp is not numpy

    def to_device(self, device) -> WalkerAlias:
        """Move the table to ``device`` (``'@numpy'``, ``'@cupy:N'``, a Device...)."""
        device = backend.get_device(device)
        self.threshold = device.send(self.threshold)
        self.values = device.send(self.values)
        self._device = device
        return self

    def to_cpu(self) -> WalkerAlias:
        """Move the table to host memory: samples are NumPy arrays."""
        return self.to_device(backend.CpuDevice())

    def to_gpu(self, device=None) -> WalkerAlias:
        """Move the table to a GPU (the current one if ``device`` is None)."""
        from tracegrad.backends import cuda

        cuda.check_cuda_available()
        if device is None:
            device = cuda.cupy.cuda.Device().id
        return self.to_device(device)

    def sample(self, shape) -> numpy.ndarray:
        """Draw samples of the given shape.

        Args:
            shape (tuple of int): the shape of the result.

        Returns:
            An int32 array of ``shape`` on :attr:`device` (NumPy or CuPy).
        """
        return self.sample_xp(self.xp, shape)

    def sample_xp(self, xp, shape):
        """Draw samples of ``shape`` with the array module ``xp``.

        ``xp.random.uniform`` gives one number in ``[0, n)`` per sample: its integer
        part picks a slot, its fraction picks the slot's entry or its alias.
        ``xp`` may be the compile tracer's namespace: the draw is then an input of
        the compiled step, made afresh on every call.
        """
        n = len(self.threshold)
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (int(shape),)
        u = xp.random.uniform(0, n, shape)
        # uniform() may return its upper bound after rounding: clamp to the last slot
        slot = xp.minimum(u.astype(numpy.int32), n - 1)
        fraction = u - slot.astype(u.dtype)
        takes_alias = xp.take(self.threshold, slot).astype(u.dtype) <= fraction
        return xp.take(self.values, 2 * slot + takes_alias.astype(numpy.int32))
