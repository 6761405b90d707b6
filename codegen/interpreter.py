"""The reference interpreter: the meaning of the IR, executed with NumPy (or CuPy).

It is the oracle of the kernel tests and the executor of last resort.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from codegen.ir import Graph, IRError
from codegen.primitives import get_primitive


def run(graph: Graph, inputs: Sequence[Any], xp: Any = numpy) -> list:
    """Evaluate ``graph`` on input arrays; returns the output arrays."""
    if len(inputs) != len(graph.inputs):
        raise IRError(f'run: the graph takes {len(graph.inputs)} inputs, got {len(inputs)}')
    env: dict = {}
    for v, a in zip(graph.inputs, inputs):
        a = xp.asarray(a)
        if a.shape != v.shape or a.dtype.name != v.dtype:
            raise IRError(f'run: input {v} expects {v.type_text}, got {a.dtype.name}{list(a.shape)}')
        env[v.id] = a
    for node in graph.nodes:
        prim = get_primitive(node.op)
        args = [env[v.id] for v in node.inputs]
        result = prim.reference(xp, *args, **node.attrs)
        results = result if isinstance(result, tuple) else (result,)
        for v, r in zip(node.outputs, results):
            r = xp.asarray(r)
            if r.dtype.name != v.dtype:
                r = r.astype(v.dtype)
            env[v.id] = r
    return [env[v.id] for v in graph.outputs]
