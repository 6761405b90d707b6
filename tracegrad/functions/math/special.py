"""The base of special functions (erf, lgamma...) computed by SciPy's special functions."""
from __future__ import annotations

from tracegrad.backend import get_array_module, get_special_module
from tracegrad.functions.math.elementwise import FloatUnary


def special(name: str, needed_by: str, *args):
    """``name`` of the special-function namespace of the arrays ``args`` applied to them
    (``needed_by``: the tracegrad function, for the error when SciPy is missing)."""
    return getattr(get_special_module(get_array_module(*args), needed_by), name)(*args)


class SpecialUnary(FloatUnary):
    """A special function of one float array: ``special_name`` (SciPy's name) computes
    ``function`` (tracegrad's); ``retain`` says what the gradient needs, the input ('x')
    or the output ('y')."""

    function = ''
    special_name = ''
    retain = 'x'

    def forward(self, inputs):
        if self.retain == 'x':
            self.retain_inputs((0,))
        else:
            self.retain_outputs((0,))
        x, = inputs
        # SciPy computes float16 in float32 or float64: the result keeps x's dtype
        return special(self.special_name, self.function, x).astype(x.dtype, copy=False),
