"""The reference backend: runs the graph with the NumPy interpreter."""
from __future__ import annotations

from codegen import interpreter
from codegen.ir import Graph


class ReferenceProgram:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.source = graph.to_text()
        self.stats = {'backend': 'reference', 'nodes': len(graph.nodes)}

    def __call__(self, inputs: list) -> list:
        return interpreter.run(self.graph, inputs)


def build(graph: Graph) -> ReferenceProgram:
    return ReferenceProgram(graph)
