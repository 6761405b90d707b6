"""Optimizers (Chainer's ``chainer.optimizers``)."""
from tracegrad.optimizers.ada_delta import AdaDelta
from tracegrad.optimizers.ada_grad import AdaGrad
from tracegrad.optimizers.adam import AdaBound, Adam, AdamW, AMSBound, AMSGrad
from tracegrad.optimizers.corrected_momentum_sgd import CorrectedMomentumSGD
from tracegrad.optimizers.momentum_sgd import MomentumSGD
from tracegrad.optimizers.msvag import MSVAG
from tracegrad.optimizers.nesterov_ag import NesterovAG
from tracegrad.optimizers.rmsprop import RMSprop
from tracegrad.optimizers.rmsprop_graves import RMSpropGraves
from tracegrad.optimizers.sgd import SGD
from tracegrad.optimizers.smorms3 import SMORMS3

__all__ = [
           'MSVAG',
           'SGD',
           'SMORMS3',
           'AMSBound',
           'AMSGrad',
           'AdaBound',
           'AdaDelta',
           'AdaGrad',
           'Adam',
           'AdamW',
           'CorrectedMomentumSGD',
           'MomentumSGD',
           'NesterovAG',
           'RMSprop',
           'RMSpropGraves',
]
