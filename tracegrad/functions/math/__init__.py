"""Math functions."""
from tracegrad.functions.math import add as _add
from tracegrad.functions.math import average as _average
from tracegrad.functions.math import batch_l2_norm_squared as _batch_l2_norm_squared
from tracegrad.functions.math import bias as _bias
from tracegrad.functions.math import clip as _clip
from tracegrad.functions.math import cumprod as _cumprod
from tracegrad.functions.math import cumsum as _cumsum
from tracegrad.functions.math import einsum as _einsum
from tracegrad.functions.math import exponential as _exponential
from tracegrad.functions.math import fft as _fft
from tracegrad.functions.math import identity as _identity
from tracegrad.functions.math import linalg as _linalg
from tracegrad.functions.math import linear_interpolate as _linear_interpolate
from tracegrad.functions.math import logsumexp as _logsumexp
from tracegrad.functions.math import matmul as _matmul
from tracegrad.functions.math import maximum as _maximum
from tracegrad.functions.math import minmax as _minmax
from tracegrad.functions.math import prod as _prod
from tracegrad.functions.math import rounding as _rounding
from tracegrad.functions.math import sqrt as _sqrt
from tracegrad.functions.math import square as _square
from tracegrad.functions.math import sum as _sum
from tracegrad.functions.math import trigonometric as _trigonometric
from tracegrad.functions.math.add import *
from tracegrad.functions.math.average import *
from tracegrad.functions.math.basic_math import absolute, install_variable_arithmetics
from tracegrad.functions.math.batch_l2_norm_squared import *
from tracegrad.functions.math.bias import *
from tracegrad.functions.math.clip import *
from tracegrad.functions.math.cumprod import *
from tracegrad.functions.math.cumsum import *
from tracegrad.functions.math.einsum import *
from tracegrad.functions.math.exponential import *
from tracegrad.functions.math.fft import *
from tracegrad.functions.math.identity import *
from tracegrad.functions.math.linalg import *
from tracegrad.functions.math.linear_interpolate import *
from tracegrad.functions.math.logsumexp import *
from tracegrad.functions.math.matmul import *
from tracegrad.functions.math.maximum import *
from tracegrad.functions.math.minmax import *
from tracegrad.functions.math.prod import *
from tracegrad.functions.math.rounding import *
from tracegrad.functions.math.sqrt import *
from tracegrad.functions.math.square import *
from tracegrad.functions.math.sum import *
from tracegrad.functions.math.trigonometric import *

install_variable_arithmetics()

__all__ = ['absolute']
for _m in (_average, _bias, _clip, _cumsum, _exponential, _identity, _logsumexp, _matmul,
           _maximum, _minmax, _prod, _rounding, _sqrt, _square, _sum, _trigonometric):
    __all__ += _m.__all__
__all__ += _einsum.__all__
__all__ += _add.__all__
__all__ += _batch_l2_norm_squared.__all__
__all__ += _cumprod.__all__
__all__ += _linear_interpolate.__all__
__all__ += _fft.__all__
__all__ += _linalg.__all__
