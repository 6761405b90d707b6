"""The reference backend: runs the graph with the NumPy interpreter."""
from __future__ import annotations

from codegen import interpreter
from codegen.ir import Graph


class ReferenceProgram:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.source = graph.to_text()
        self.stats = {'backend': 'reference', 'nodes': len(graph.nodes)}
        self.donated: dict = {}

    def __call__(self, inputs: list) -> list:
        outs = interpreter.run(self.graph, inputs)
        # Every output is an array of its own, as the C backend's are: an output that is
        # an input or repeats another must not alias it (callers keep them separately).
        seen = {id(a) for a in inputs}
        for k, a in enumerate(outs):
            if id(a) in seen:
                outs[k] = a.copy()
            seen.add(id(outs[k]))
        return outs


def build(graph: Graph, donate: dict | None = None, host_inputs=(),
          host_outputs=()) -> ReferenceProgram:
    """The interpreter never updates inputs in place, and runs where its inputs are
    (``donate``, ``host_inputs`` and ``host_outputs`` are accepted and ignored)."""
    return ReferenceProgram(graph)
