"""Evaluation functions: classification accuracies and summaries, regression scores."""
from tracegrad.functions.evaluation.accuracy import accuracy, binary_accuracy
from tracegrad.functions.evaluation.classification_summary import (
    classification_summary,
    f1_score,
    fbeta_score,
    precision,
    recall,
)
from tracegrad.functions.evaluation.r2_score import r2_score

__all__ = [
    'accuracy',
    'binary_accuracy',
    'classification_summary',
    'f1_score',
    'fbeta_score',
    'precision',
    'r2_score',
    'recall',
]
