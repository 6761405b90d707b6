"""Input checks for the recurrent functions written as compositions of other functions.

Such a function is no single FunctionNode, so nothing runs its type checks; this runs
them the same way, with the same InvalidType message naming the function.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from tracegrad.utils import type_check
from tracegrad.variable import Variable


def check_inputs(label: str, names: Sequence[str], inputs: Sequence,
                 check: Callable) -> None:
    """Run ``check(in_types)`` on ``inputs`` (Variables or arrays) named ``names``."""
    arrays = tuple(x.array if isinstance(x, Variable) else x for x in inputs)
    in_types = type_check.get_types(arrays, 'in_types', False)
    try:
        type_check._argname(in_types, tuple(names))
        check(in_types)
    except type_check.InvalidType as e:
        raise type_check.InvalidType(
            e.expect, e.actual,
            msg=f'Invalid operation is performed in: {label} (Forward)\n\n{e}') from None
