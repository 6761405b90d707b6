"""Evaluation functions: classification accuracies."""
from tracegrad.functions.evaluation.accuracy import accuracy, binary_accuracy

__all__ = ['accuracy', 'binary_accuracy']
