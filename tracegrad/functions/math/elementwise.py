"""The base of elementwise functions of one float array."""
from __future__ import annotations

from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check


class FloatUnary(FunctionNode):
    """An elementwise function of one floating-point array ``x``."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f')
