"""Graph-to-graph passes, each a small function with its own tests.

:func:`optimize` runs the standard pipeline, :data:`PIPELINE`, in order.
"""
from __future__ import annotations

from codegen.ir import Graph
from codegen.passes.batch_matmul import batch_matmul
from codegen.passes.cse import cse
from codegen.passes.dce import dce
from codegen.passes.fold import fold
from codegen.passes.matmul_flags import matmul_flags
from codegen.passes.matmul_sum import matmul_sum
from codegen.passes.simplify import simplify

__all__ = ['PIPELINE', 'batch_matmul', 'cse', 'dce', 'fold', 'matmul_flags', 'matmul_sum',
           'optimize', 'simplify']

# CSE first merges the tracer's repeated literals and casts, so folding and the
# rules see shared values; the second CSE merges what the rewrites made equal.
# batch_matmul makes a convolution's per-image matmuls one GEMM; matmul_sum makes the
# per-time-step products summed into an RNN weight's gradient one GEMM (after
# matmul_flags, which gives the products of transposes their flags).
PIPELINE = (cse, fold, simplify, batch_matmul, matmul_flags, matmul_sum, cse, dce)


def optimize(graph: Graph) -> Graph:
    """The standard pipeline: returns an equivalent, simpler graph (rewritten in place).

    Graph inputs stay as they are; an output may become another value or an input.
    """
    # A rewrite can enable another (CSE makes where(c, x, y) into where(c, x, x), which
    # simplify removes), so the pipeline runs until the graph stops changing.
    text = None
    for _ in range(MAX_ROUNDS):
        for graph_pass in PIPELINE:
            graph = graph_pass(graph)
        new_text = graph.to_text()
        if new_text == text:
            break
        text = new_text
    return graph


MAX_ROUNDS = 4
