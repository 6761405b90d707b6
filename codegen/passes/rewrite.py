"""The node-by-node rewriter that CSE, folding, simplification and matmul flags share.

A rule looks at one node whose inputs have already been rewritten and says what
becomes of it. Walking the nodes in their (topological) order keeps the graph in
SSA order and the result deterministic.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from codegen.ir import Graph, IRError, Node, Value
from codegen.primitives import get_primitive

# None: keep the node; a Value (or one per output): the node's outputs become those
# values; a Node (made by :func:`make_node`, not yet in the graph): it replaces the node
# and is offered to the rule in turn; a list of Nodes (made by :func:`make_node`): they
# go into the graph in order, and the last one's outputs replace the node's.
RuleResult = Value | Sequence[Value] | Node | list | None
Rule = Callable[[Graph, Node], RuleResult]


def make_node(graph: Graph, op: str, inputs: Sequence[Value], **attrs) -> Node:
    """A new node ``op(*inputs, **attrs)`` with fresh, typed outputs; not added to the graph."""
    prim = get_primitive(op)
    attrs = prim.normalize(list(inputs), attrs)
    node = Node(op, inputs, attrs, [])
    node.outputs = [graph._new_value(shape, dtype, node)
                    for shape, dtype in prim.infer(node.inputs, attrs)]
    return node


def rewrite(graph: Graph, rule: Rule) -> Graph:
    """Apply ``rule`` to every node in order (in place; returns the graph).

    Replaced nodes leave the graph; nodes that only fed them stay until DCE.
    """
    subst: dict = {}

    def resolve(v: Value) -> Value:
        while v.id in subst:
            v = subst[v.id]
        return v

    kept = []
    for node in graph.nodes:
        node.inputs = [resolve(v) for v in node.inputs]
        while True:
            result = rule(graph, node)
            if result is None:
                kept.append(node)
                break
            chain = isinstance(result, list) and bool(result) and isinstance(result[0], Node)
            if chain:
                kept.extend(result)
                replacements = result[-1].outputs
            elif isinstance(result, Node):
                replacements = result.outputs
            else:
                replacements = [result] if isinstance(result, Value) else list(result)
            for old, new in zip(node.outputs, replacements, strict=True):
                if (old.shape, old.dtype) != (new.shape, new.dtype):
                    raise IRError(f'{node.op}: a rewrite changed {old.type_text} into '
                                         f'{new.type_text}')
                subst[old.id] = new
            if chain or not isinstance(result, Node):
                break
            node = result
    graph.nodes = kept
    graph.outputs = [resolve(v) for v in graph.outputs]
    return graph


def literal_of(v: Value) -> Node | None:
    """The ``fill`` or ``constant`` node that produces ``v``, if it is one."""
    node = v.producer
    if node is not None and node.op in ('fill', 'constant'):
        return node
    return None


def fill_value(v: Value):
    """The value of ``v`` when a ``fill`` node produces it (else None)."""
    node = v.producer
    if node is not None and node.op == 'fill':
        return node.attrs['value']
    return None
