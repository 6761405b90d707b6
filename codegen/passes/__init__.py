"""Graph-to-graph passes, each a small function with its own tests.

:func:`optimize` runs the standard pipeline.
"""
from codegen.passes.dce import dce  # noqa: F401


def optimize(graph):
    """The standard pipeline: returns an equivalent, simpler graph."""
    return dce(graph)
