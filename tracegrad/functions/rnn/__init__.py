"""Recurrent-network functions."""
from tracegrad.functions.rnn.lstm import lstm

__all__ = ['lstm']
