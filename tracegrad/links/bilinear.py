"""Bilinear: the neural tensor network layer (``F.bilinear`` with its parameters)."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.link import Link
from tracegrad.variable import Parameter


class Bilinear(Link):
    """``y = F.bilinear(e1, e2, W, V1, V2, b)``.

    ``W`` is ``(left_size, right_size, out_size)``; unless ``nobias``, ``V1``
    ``(left_size, out_size)``, ``V2`` ``(right_size, out_size)`` and ``b``
    ``(out_size,)`` add the linear terms.

    Args:
        left_size: size of ``e1`` (after the batch axis, flattened).
        right_size: size of ``e2``.
        out_size: size of the output.
        nobias: if True, only the bilinear term (no ``V1``, ``V2``, ``b``).
        initialW: initializer for ``W`` (default LeCunNormal).
        initial_bias: None (``V1``, ``V2`` by the default initializer, ``b``
            zero) or a tuple of three initializers for ``(V1, V2, b)``.
    """

    def __init__(self, left_size, right_size, out_size, nobias=False, initialW=None,
                 initial_bias=None):
        super().__init__()
        self.in_sizes = (left_size, right_size)
        self.nobias = nobias
        shape = (left_size, right_size, out_size)
        _check_shape(initialW, shape, 'initialW')
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW), shape)
            if nobias:
                return
            if initial_bias is None:
                initial_bias = (None, None, 0)
            elif not isinstance(initial_bias, tuple) or len(initial_bias) != 3:
                raise ValueError('Bilinear: initial_bias must be None or a tuple of three '
                                 f'initializers (V1, V2, b), got {initial_bias!r}')
            shapes = ((left_size, out_size), (right_size, out_size), (out_size,))
            for name, init, shape_ in zip(('V1', 'V2', 'b'), initial_bias, shapes):
                _check_shape(init, shape_, f'initial_bias {name}')
                setattr(self, name, Parameter(initializers._get_initializer(init), shape_))

    def forward(self, e1, e2):
        if self.nobias:
            return F.bilinear(e1, e2, self.W)
        return F.bilinear(e1, e2, self.W, self.V1, self.V2, self.b)


def _check_shape(init, shape: tuple, what: str) -> None:
    if hasattr(init, 'shape') and tuple(init.shape) != shape:
        raise ValueError(f'Bilinear: {what} must have shape {shape}, got {tuple(init.shape)}')
