"""Loss functions."""
from tracegrad.functions.loss.absolute_error import absolute_error, mean_absolute_error
from tracegrad.functions.loss.black_out import black_out
from tracegrad.functions.loss.contrastive import contrastive
from tracegrad.functions.loss.crf1d import argmax_crf1d, crf1d
from tracegrad.functions.loss.cross_covariance import cross_covariance
from tracegrad.functions.loss.ctc import connectionist_temporal_classification
from tracegrad.functions.loss.decov import decov
from tracegrad.functions.loss.discriminative_loss import (
    discriminative_margin_based_clustering_loss,
)
from tracegrad.functions.loss.hinge import hinge
from tracegrad.functions.loss.huber_loss import huber_loss
from tracegrad.functions.loss.negative_sampling import negative_sampling
from tracegrad.functions.loss.sigmoid_cross_entropy import sigmoid_cross_entropy
from tracegrad.functions.loss.softmax_cross_entropy import softmax_cross_entropy
from tracegrad.functions.loss.squared_error import (
    mean_squared_error,
    squared_difference,
    squared_error,
)
from tracegrad.functions.loss.triplet import triplet
from tracegrad.functions.loss.vae import bernoulli_nll, gaussian_kl_divergence, gaussian_nll

__all__ = [
    'absolute_error',
    'argmax_crf1d',
    'bernoulli_nll',
    'black_out',
    'connectionist_temporal_classification',
    'contrastive',
    'crf1d',
    'cross_covariance',
    'decov',
    'discriminative_margin_based_clustering_loss',
    'gaussian_kl_divergence',
    'gaussian_nll',
    'hinge',
    'huber_loss',
    'mean_absolute_error',
    'mean_squared_error',
    'negative_sampling',
    'sigmoid_cross_entropy',
    'softmax_cross_entropy',
    'squared_difference',
    'squared_error',
    'triplet',
]
