"""Ready-made link hooks (see :class:`tracegrad.LinkHook`)."""
from tracegrad.link_hooks.spectral_normalization import SpectralNormalization
from tracegrad.link_hooks.timer import TimerHook

__all__ = ['SpectralNormalization', 'TimerHook']
