"""Transposes into matmul flags: BLAS reads a transposed operand for free.

``matmul(transpose(a), b)`` where the transpose swaps exactly the last two axes
becomes ``matmul(a, b, transa=True)`` (a flag already set flips back), and the
same for ``b`` and ``transb``. The transpose stays for its other users, or for DCE.
"""
from __future__ import annotations

from codegen.ir import Graph, Node, Value
from codegen.passes.rewrite import make_node, rewrite


def matmul_flags(graph: Graph) -> Graph:
    """Fold last-two-axes transposes of matmul operands into its flags (in place).

    >>> from codegen import Graph
    >>> g = Graph(); x = g.input((4, 5), 'float32'); w = g.input((7, 5), 'float32')
    >>> g.set_outputs([g.add('matmul', [x, g.add('transpose', [w], axes=(1, 0))])])
    >>> mm = matmul_flags(g).nodes[-1]; print(mm.inputs, mm.attrs)
    [%0, %1] {'transa': False, 'transb': True}
    """
    return rewrite(graph, _absorb_transposes)


def _swapped_operand(v: Value) -> Value | None:
    """The operand of ``v = transpose(operand)`` if it swaps exactly the last two axes."""
    node = v.producer
    if node is None or node.op != 'transpose' or v.ndim < 2:
        return None
    n = v.ndim
    if node.attrs['axes'] != tuple(range(n - 2)) + (n - 1, n - 2):
        return None
    return node.inputs[0]


def _absorb_transposes(graph: Graph, node: Node) -> Node | None:
    if node.op != 'matmul':
        return None
    a, b = node.inputs
    transa, transb = node.attrs['transa'], node.attrs['transb']
    swapped_a, swapped_b = _swapped_operand(a), _swapped_operand(b)
    if swapped_a is None and swapped_b is None:
        return None
    if swapped_a is not None:
        a, transa = swapped_a, not transa
    if swapped_b is not None:
        b, transb = swapped_b, not transb
    return make_node(graph, 'matmul', [a, b], transa=transa, transb=transb)
