"""Common-subexpression elimination: identical nodes are computed once."""
from __future__ import annotations

from codegen.ir import Graph, Node
from codegen.passes.rewrite import rewrite

# Operand order does not change these results bit for bit (maximum/minimum are left
# out: with a NaN or a signed zero on each side, NumPy returns the first operand).
COMMUTATIVE = frozenset({'add', 'mul', 'eq', 'ne', 'logical_and', 'logical_or'})


def node_key(node: Node) -> str:
    """What makes two nodes compute the same thing: op, inputs and attributes.

    Attributes are compared by their ``repr`` so that ``0.0`` and ``-0.0`` (or ``1``
    and ``True``) stay apart.
    """
    ids = [v.id for v in node.inputs]
    if node.op in COMMUTATIVE:
        ids.sort()
    return f'{node.op}{ids}{sorted(node.attrs.items())!r}'


def cse(graph: Graph) -> Graph:
    """Merge nodes with equal op, inputs and attributes (in place; returns the graph).

    Every primitive is pure (random draws are graph inputs), so a later duplicate is
    replaced by the first node's outputs everywhere, graph outputs included.

    >>> from codegen import Graph
    >>> g = Graph(); x = g.input((2,), 'float32')
    >>> a = g.add('exp', [x]); b = g.add('exp', [x])
    >>> g.set_outputs([g.add('add', [a, b])]); print(cse(g))
    graph(%0: f32[2]) {
      %1: f32[2] = exp(%0)
      %3: f32[2] = add(%1, %1)
      return %3
    }
    """
    first: dict = {}

    def merge(graph: Graph, node: Node):
        key = node_key(node)
        if key in first:
            return first[key].outputs
        first[key] = node
        return None

    return rewrite(graph, merge)
