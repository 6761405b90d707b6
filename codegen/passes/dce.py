"""Dead-code elimination: drop nodes whose outputs reach no graph output."""
from __future__ import annotations

from codegen.ir import Graph


def dce(graph: Graph) -> Graph:
    """Remove nodes that do not contribute to the outputs (in place; returns the graph).

    >>> from codegen import Graph
    >>> g = Graph(); x = g.input((2,), 'float32')
    >>> y = g.add('exp', [x]); _ = g.add('log', [x])
    >>> g.set_outputs([y]); len(dce(g).nodes)
    1
    """
    live = {v.id for v in graph.outputs}
    kept = []
    for node in reversed(graph.nodes):
        if any(o.id in live for o in node.outputs):
            kept.append(node)
            live.update(v.id for v in node.inputs)
    kept.reverse()
    graph.nodes = kept
    return graph
