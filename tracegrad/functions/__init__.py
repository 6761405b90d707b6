"""Differentiable functions (Chainer's ``chainer.functions``, imported as ``F``).

Each category package exports its functions through ``__all__``.
"""
from tracegrad.functions.activation import *
from tracegrad.functions.array import *
from tracegrad.functions.connection import *
from tracegrad.functions.evaluation import *
from tracegrad.functions.loss import *
from tracegrad.functions.math import *
from tracegrad.functions.noise import *
from tracegrad.functions.normalization import *
from tracegrad.functions.pooling import *
from tracegrad.functions.rnn import *
from tracegrad.functions.util import *
