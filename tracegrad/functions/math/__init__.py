"""Math functions."""
from tracegrad.functions.math import add as _add
from tracegrad.functions.math import average as _average
from tracegrad.functions.math import batch_l2_norm_squared as _batch_l2_norm_squared
from tracegrad.functions.math import bias as _bias
from tracegrad.functions.math import clip as _clip
from tracegrad.functions.math import cumprod as _cumprod
from tracegrad.functions.math import cumsum as _cumsum
from tracegrad.functions.math import einsum as _einsum
from tracegrad.functions.math import error_function as _error_function
from tracegrad.functions.math import exponential as _exponential
from tracegrad.functions.math import fft as _fft
from tracegrad.functions.math import fmod as _fmod
from tracegrad.functions.math import gamma as _gamma
from tracegrad.functions.math import hyperbolic as _hyperbolic
from tracegrad.functions.math import identity as _identity
from tracegrad.functions.math import linalg as _linalg
from tracegrad.functions.math import linear_interpolate as _linear_interpolate
from tracegrad.functions.math import logsumexp as _logsumexp
from tracegrad.functions.math import matmul as _matmul
from tracegrad.functions.math import maximum as _maximum
from tracegrad.functions.math import minmax as _minmax
from tracegrad.functions.math import normal_cdf as _normal_cdf
from tracegrad.functions.math import prod as _prod
from tracegrad.functions.math import rounding as _rounding
from tracegrad.functions.math import sparse_matmul as _sparse_matmul
from tracegrad.functions.math import sqrt as _sqrt
from tracegrad.functions.math import square as _square
from tracegrad.functions.math import sum as _sum
from tracegrad.functions.math import trigonometric as _trigonometric
from tracegrad.functions.math import zeta as _zeta
from tracegrad.functions.math.add import *
from tracegrad.functions.math.average import *
from tracegrad.functions.math.basic_math import absolute, install_variable_arithmetics
from tracegrad.functions.math.batch_l2_norm_squared import *
from tracegrad.functions.math.bias import *
from tracegrad.functions.math.clip import *
from tracegrad.functions.math.cumprod import *
from tracegrad.functions.math.cumsum import *
from tracegrad.functions.math.einsum import *
from tracegrad.functions.math.error_function import *
from tracegrad.functions.math.exponential import *
from tracegrad.functions.math.fft import *
from tracegrad.functions.math.fmod import *
from tracegrad.functions.math.gamma import *
from tracegrad.functions.math.hyperbolic import *
from tracegrad.functions.math.identity import *
from tracegrad.functions.math.linalg import *
from tracegrad.functions.math.linear_interpolate import *
from tracegrad.functions.math.logsumexp import *
from tracegrad.functions.math.matmul import *
from tracegrad.functions.math.maximum import *
from tracegrad.functions.math.minmax import *
from tracegrad.functions.math.normal_cdf import *
from tracegrad.functions.math.prod import *
from tracegrad.functions.math.rounding import *
from tracegrad.functions.math.sparse_matmul import *
from tracegrad.functions.math.sqrt import *
from tracegrad.functions.math.square import *
from tracegrad.functions.math.sum import *
from tracegrad.functions.math.trigonometric import *
from tracegrad.functions.math.zeta import *

install_variable_arithmetics()

__all__ = ['absolute']
for _m in (_add, _average, _batch_l2_norm_squared, _bias, _clip, _cumprod, _cumsum, _einsum,
           _error_function, _exponential, _fft, _fmod, _gamma, _hyperbolic, _identity,
           _linalg, _linear_interpolate, _logsumexp, _matmul, _maximum, _minmax,
           _normal_cdf, _prod, _rounding, _sparse_matmul, _sqrt, _square, _sum, _trigonometric, _zeta):
    __all__ += _m.__all__
