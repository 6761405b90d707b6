"""Constant folding: nodes whose inputs are all literals are evaluated at compile time.

A literal is a ``fill`` (one value everywhere) or a ``constant`` (every element
spelled out). Folding uses each primitive's reference semantics, so a folded value
is exactly what the interpreter would compute. It never blows the graph up: a
result becomes a ``fill`` whatever its size when it is uniform, and a ``constant``
only up to :data:`MAX_CONSTANT_SIZE` elements; larger non-uniform results, and
non-finite ones (which the text form cannot spell), stay as computations.
"""
from __future__ import annotations

import numpy

from codegen.ir import Graph, Node, Value
from codegen.passes.rewrite import literal_of, make_node, rewrite
from codegen.primitives import get_primitive

MAX_CONSTANT_SIZE = 4096

# Layout ops that only move elements around: on a fill they give the same fill.
_MOVES = frozenset({'reshape', 'transpose', 'broadcast_to', 'slice'})


def fold(graph: Graph) -> Graph:
    """Replace computations on literals by literals (in place; returns the graph).

    Also turns a ``constant`` whose elements are all equal into a ``fill``.

    >>> from codegen import Graph
    >>> g = Graph(); x = g.input((3,), 'float32')
    >>> two = g.add('fill', [], shape=(), value=2, dtype='int64')
    >>> g.set_outputs([g.add('mul', [x, g.add('cast', [two], dtype='float32')])])
    >>> print(fold(g).nodes[-2])
    <Node fill [%4] <- []>
    >>> fold(g).nodes[-2].attrs
    {'shape': (), 'value': 2.0, 'dtype': 'float32'}
    """
    return rewrite(graph, _fold_node)


def _fold_node(graph: Graph, node: Node) -> Node | None:
    if node.op == 'constant':
        folded = _literal(graph, node.outputs[0],
                          get_primitive('constant').reference(numpy, **node.attrs))
        return folded if folded is not None and folded.op == 'fill' else None
    literals = [literal_of(v) for v in node.inputs]
    if not literals or None in literals or len(node.outputs) != 1:
        return None
    out = node.outputs[0]
    prim = get_primitive(node.op)
    if all(lit.op == 'fill' for lit in literals):
        if prim.kind == 'elementwise':
            # One element of each input gives the one element of the result.
            scalars = [numpy.full((), lit.attrs['value'], lit.attrs['dtype']) for lit in literals]
            return _literal(graph, out, _evaluate(prim, scalars, node.attrs))
        if node.op in _MOVES:
            return _fill(graph, out, literals[0].attrs['value'])
    if out.size > MAX_CONSTANT_SIZE or any(v.size > MAX_CONSTANT_SIZE for v in node.inputs):
        return None
    arrays = [get_primitive(lit.op).reference(numpy, **lit.attrs) for lit in literals]
    return _literal(graph, out, _evaluate(prim, arrays, node.attrs))


def _evaluate(prim, arrays: list, attrs: dict) -> numpy.ndarray | None:
    with numpy.errstate(all='ignore'):
        try:
            return numpy.asarray(prim.reference(numpy, *arrays, **attrs))
        except (ValueError, IndexError):
            return None  # e.g. an index out of range: leave it to fail where it runs


def _literal(graph: Graph, out: Value, result: numpy.ndarray | None) -> Node | None:
    """A fill or constant node for ``out`` holding ``result``, if one is worth making."""
    if result is None:
        return None
    result = result.astype(out.dtype)
    if result.dtype.kind == 'f' and not numpy.isfinite(result).all():
        return None
    flat = result.reshape(-1)
    if flat.size == 0:
        return _fill(graph, out, result.dtype.type(0).item())
    if _uniform(flat):
        return _fill(graph, out, flat[0].item())
    if flat.size > MAX_CONSTANT_SIZE:
        return None
    return make_node(graph, 'constant', [], shape=out.shape, value=tuple(flat.tolist()),
                     dtype=out.dtype)


def _uniform(flat: numpy.ndarray) -> bool:
    if flat.dtype.kind == 'f':  # compare bits, so that 0.0 and -0.0 stay apart
        flat = flat.view(f'u{flat.itemsize}')
    return bool((flat == flat[0]).all())


def _fill(graph: Graph, out: Value, value) -> Node:
    return make_node(graph, 'fill', [], shape=out.shape, value=value, dtype=out.dtype)
