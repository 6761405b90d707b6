"""Initializers: callables that fill a parameter array in place.

Random ones draw from NumPy's global random state exactly as Chainer's do, so
``np.random.seed(0); L.Linear(3, 2).W.array`` gives Chainer's values.
"""
from tracegrad.initializers.base import (  # noqa: F401
    Initializer,
    _get_initializer,
    generate_array,
    get_fans,
)
from tracegrad.initializers.constant import Constant, Identity, NaN, One, Zero
from tracegrad.initializers.normal import (
    GlorotNormal,
    HeNormal,
    LeCunNormal,
    Normal,
)
from tracegrad.initializers.orthogonal import Orthogonal
from tracegrad.initializers.sampling import DownsamplingConvFilter, UpsamplingDeconvFilter
from tracegrad.initializers.uniform import (
    GlorotUniform,
    HeUniform,
    LeCunUniform,
    Uniform,
)

__all__ = [
    'Constant',
    'DownsamplingConvFilter',
    'GlorotNormal',
    'GlorotUniform',
    'HeNormal',
    'HeUniform',
    'Identity',
    'Initializer',
    'LeCunNormal',
    'LeCunUniform',
    'NaN',
    'Normal',
    'One',
    'Orthogonal',
    'Uniform',
    'UpsamplingDeconvFilter',
    'Zero',
    'generate_array',
    'get_fans',
]
