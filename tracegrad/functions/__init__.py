"""Differentiable functions (Chainer's ``chainer.functions``, imported as ``F``).

Each category package exports its functions through ``__all__``.
"""
from tracegrad.functions.activation import *  # noqa: F401,F403
from tracegrad.functions.array import *  # noqa: F401,F403
from tracegrad.functions.connection import *  # noqa: F401,F403
from tracegrad.functions.evaluation import *  # noqa: F401,F403
from tracegrad.functions.loss import *  # noqa: F401,F403
from tracegrad.functions.math import *  # noqa: F401,F403
from tracegrad.functions.noise import *  # noqa: F401,F403
from tracegrad.functions.normalization import *  # noqa: F401,F403
from tracegrad.functions.pooling import *  # noqa: F401,F403
from tracegrad.functions.rnn import *  # noqa: F401,F403
