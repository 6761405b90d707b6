"""Initializers: callables that fill a parameter array in place.

Random ones draw from NumPy's global random state exactly as Chainer's do, so
``np.random.seed(0); L.Linear(3, 2).W.array`` gives Chainer's values.
"""
from tracegrad.initializers.base import (  # noqa: F401
    Initializer, get_fans, _get_initializer, generate_array,
)
from tracegrad.initializers.constant import Constant, Zero, One, NaN, Identity  # noqa: F401
from tracegrad.initializers.normal import (  # noqa: F401
    Normal, LeCunNormal, GlorotNormal, HeNormal,
)
from tracegrad.initializers.uniform import (  # noqa: F401
    Uniform, LeCunUniform, GlorotUniform, HeUniform,
)
from tracegrad.initializers.orthogonal import Orthogonal  # noqa: F401

__all__ = ['Initializer', 'get_fans', 'generate_array', 'Constant', 'Zero', 'One', 'NaN',
           'Identity', 'Normal', 'LeCunNormal', 'GlorotNormal', 'HeNormal', 'Uniform',
           'LeCunUniform', 'GlorotUniform', 'HeUniform', 'Orthogonal']
