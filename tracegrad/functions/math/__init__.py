"""Math functions."""
from tracegrad.functions.math import average as _average
from tracegrad.functions.math import bias as _bias
from tracegrad.functions.math import clip as _clip
from tracegrad.functions.math import cumsum as _cumsum
from tracegrad.functions.math import exponential as _exponential
from tracegrad.functions.math import identity as _identity
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
from tracegrad.functions.math.average import *  # noqa: F401,F403
from tracegrad.functions.math.basic_math import absolute, install_variable_arithmetics  # noqa: F401
from tracegrad.functions.math.bias import *  # noqa: F401,F403
from tracegrad.functions.math.clip import *  # noqa: F401,F403
from tracegrad.functions.math.cumsum import *  # noqa: F401,F403
from tracegrad.functions.math.exponential import *  # noqa: F401,F403
from tracegrad.functions.math.identity import *  # noqa: F401,F403
from tracegrad.functions.math.logsumexp import *  # noqa: F401,F403
from tracegrad.functions.math.matmul import *  # noqa: F401,F403
from tracegrad.functions.math.maximum import *  # noqa: F401,F403
from tracegrad.functions.math.minmax import *  # noqa: F401,F403
from tracegrad.functions.math.prod import *  # noqa: F401,F403
from tracegrad.functions.math.rounding import *  # noqa: F401,F403
from tracegrad.functions.math.sqrt import *  # noqa: F401,F403
from tracegrad.functions.math.square import *  # noqa: F401,F403
from tracegrad.functions.math.sum import *  # noqa: F401,F403
from tracegrad.functions.math.trigonometric import *  # noqa: F401,F403

install_variable_arithmetics()

__all__ = ['absolute']
for _m in (_average, _bias, _clip, _cumsum, _exponential, _identity, _logsumexp, _matmul,
           _maximum, _minmax, _prod, _rounding, _sqrt, _square, _sum, _trigonometric):
    __all__ += _m.__all__
