"""The orthogonal initializer (Saxe et al., https://arxiv.org/abs/1312.6120)."""
from __future__ import annotations

import numpy

from tracegrad.initializers.base import Initializer, _fill

# mode -> (forbid more columns than rows, forbid fewer columns than rows); columns are
# the input dimension and rows the output dimension.
_MODES = {
    'auto': (False, False),
    'projection': (False, True),
    'embedding': (True, False),
    'basis': (True, True),
}


class Orthogonal(Initializer):
    """Fill with ``scale`` times a (semi-)orthogonal matrix.

    The array is seen as a matrix of ``len(array)`` rows (all other axes flattened).
    A standard Gaussian matrix is drawn and orthogonalised by a QR decomposition
    whose R has a non-negative diagonal, so the result is uniformly distributed.

    Args:
        scale: the factor multiplied to the orthogonal matrix.
        dtype: the dtype the filled array must have.
        mode: ``'auto'`` (any shape), ``'projection'`` (input dim >= output dim,
            i.e. columns >= rows), ``'embedding'`` (input dim <= output dim) or
            ``'basis'`` (square).
        rng: a ``numpy.random.RandomState`` (default: NumPy's global state).
    """

    def __init__(self, scale=1.1, dtype=None, mode='auto', *, rng=None):
        if mode not in _MODES:
            raise ValueError(f'Orthogonal: invalid mode {mode!r}; choose from '
                             f'{", ".join(map(repr, _MODES))}')
        super().__init__(dtype)
        self.scale = scale
        self.mode = mode
        self.rng = rng

    def __call__(self, array) -> None:
        self._check_dtype(array)
        source = numpy.random if self.rng is None else self.rng
        if array.ndim == 0:
            sign = 2 * int(source.randint(2)) - 1
            _fill(array, self.scale * sign)
            return
        if array.size == 0:
            raise ValueError('Orthogonal: the array to initialize must be non-empty')
        rows = len(array)
        cols = array.size // rows
        forbid_wide, forbid_tall = _MODES[self.mode]
        if (cols > rows and forbid_wide) or (cols < rows and forbid_tall):
            raise ValueError(f'Orthogonal: cannot make an orthogonal {self.mode} of shape '
                             f'{array.shape} ({cols}-dim input, {rows}-dim output)')
        a = source.normal(size=(rows, cols))
        transpose = cols > rows
        if transpose:
            a = a.T
        q, r = numpy.linalg.qr(a)
        q *= numpy.copysign(self.scale, numpy.diag(r))
        if transpose:
            q = q.T
        _fill(array, q.reshape(array.shape))
