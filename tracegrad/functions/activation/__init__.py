"""Activation functions."""
from tracegrad.functions.activation.relu import relu
from tracegrad.functions.activation.sigmoid import hard_sigmoid, sigmoid
from tracegrad.functions.activation.softmax import log_softmax, softmax
from tracegrad.functions.activation.tanh import tanh

__all__ = ['hard_sigmoid', 'log_softmax', 'relu', 'sigmoid', 'softmax', 'tanh']
