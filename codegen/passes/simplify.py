"""Algebraic simplification: local rewrites of the patterns traced steps contain.

Every rule keeps the dtype and shape of the value it replaces, and its value bit
for bit, with one exception: ``x + 0`` becomes ``x``, so a ``-0.0`` element stays
``-0.0`` where IEEE addition would give ``+0.0``. ``x * 0`` is left alone (it is
not 0 for NaN or infinite ``x``). Casts of literals and arithmetic on literals are
:mod:`codegen.passes.fold`'s job.

Rules (``x`` has the result's shape where it replaces the node):

* ``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x``, ``x / 1`` -> ``x``
* ``neg(neg(x))`` -> ``x``; ``x - neg(y)`` -> ``x + y``; ``x + neg(y)``,
  ``neg(y) + x`` -> ``x - y``
* ``where(c, x, x)`` -> ``x``
* ``cast`` to the value's own dtype -> ``x``; ``cast(cast(x, U), T)`` -> ``x`` when
  ``x`` is a ``T`` and ``U`` holds every ``T`` exactly
* ``transpose`` by the identity -> ``x``; two transposes -> one (or none)
* ``reshape`` / ``broadcast_to`` to the value's own shape -> ``x``; two in a row -> one
* ``slice`` of everything -> ``x``
"""
from __future__ import annotations

from collections.abc import Callable

import numpy

from codegen.ir import Graph, Node, Value
from codegen.passes.rewrite import fill_value, make_node, rewrite


def simplify(graph: Graph) -> Graph:
    """Apply the algebraic rules above until none matches (in place; returns the graph).

    Nodes that only fed a replaced one stay behind for :func:`~codegen.passes.dce`.

    >>> from codegen import Graph
    >>> from codegen.passes import dce
    >>> g = Graph(); x = g.input((2, 3), 'float32')
    >>> t = g.add('transpose', [g.add('transpose', [x], axes=(1, 0))], axes=(1, 0))
    >>> g.set_outputs([g.add('neg', [g.add('neg', [t])])]); print(dce(simplify(g)))
    graph(%0: f32[2,3]) {
      return %0
    }
    """
    return rewrite(graph, _simplify_node)


Result = Value | Node | None


def _simplify_node(graph: Graph, node: Node) -> Result:
    rule = _RULES.get(node.op)
    return rule(graph, node) if rule is not None else None


def _producer_op(v: Value) -> str | None:
    return v.producer.op if v.producer is not None else None


def _is_fill_of(v: Value, number) -> bool:
    value = fill_value(v)
    return value is not None and value == number


def _same_type(x: Value, out: Value) -> Value | None:
    """``x`` if it can stand for ``out`` as it is (same shape and dtype)."""
    return x if (x.shape, x.dtype) == (out.shape, out.dtype) else None


def _add(graph: Graph, node: Node) -> Result:
    x, y = node.inputs
    out = node.outputs[0]
    if _is_fill_of(y, 0):
        return _same_type(x, out)
    if _is_fill_of(x, 0):
        return _same_type(y, out)
    if _producer_op(y) == 'neg':
        return make_node(graph, 'sub', [x, y.producer.inputs[0]])
    if _producer_op(x) == 'neg':
        return make_node(graph, 'sub', [y, x.producer.inputs[0]])
    return None


def _sub(graph: Graph, node: Node) -> Result:
    x, y = node.inputs
    if _is_fill_of(y, 0):
        return _same_type(x, node.outputs[0])
    if _producer_op(y) == 'neg':
        return make_node(graph, 'add', [x, y.producer.inputs[0]])
    return None


def _mul(graph: Graph, node: Node) -> Result:
    x, y = node.inputs
    out = node.outputs[0]
    if _is_fill_of(y, 1):
        return _same_type(x, out)
    if _is_fill_of(x, 1):
        return _same_type(y, out)
    return None


def _div(graph: Graph, node: Node) -> Result:
    x, y = node.inputs
    return _same_type(x, node.outputs[0]) if _is_fill_of(y, 1) else None


def _neg(graph: Graph, node: Node) -> Result:
    (x,) = node.inputs
    return x.producer.inputs[0] if _producer_op(x) == 'neg' else None


def _where(graph: Graph, node: Node) -> Result:
    _, x, y = node.inputs
    return _same_type(x, node.outputs[0]) if x.id == y.id else None


def _cast(graph: Graph, node: Node) -> Result:
    (x,) = node.inputs
    out = node.outputs[0]
    if x.dtype == out.dtype:
        return x
    if _producer_op(x) == 'cast':
        (source,) = x.producer.inputs
        if source.dtype == out.dtype and numpy.can_cast(source.dtype, x.dtype, 'safe'):
            return source
    return None


def _transpose(graph: Graph, node: Node) -> Result:
    (x,) = node.inputs
    axes = node.attrs['axes']
    if _producer_op(x) == 'transpose':
        inner = x.producer.attrs['axes']
        return make_node(graph, 'transpose', x.producer.inputs,
                         axes=tuple(inner[a] for a in axes))
    return x if axes == tuple(range(x.ndim)) else None


def _reshape_like(graph: Graph, node: Node) -> Result:
    """reshape and broadcast_to: to the same shape, or twice in a row."""
    (x,) = node.inputs
    if x.shape == node.outputs[0].shape:
        return x
    if _producer_op(x) == node.op:
        return make_node(graph, node.op, x.producer.inputs, **node.attrs)
    return None


def _slice(graph: Graph, node: Node) -> Result:
    (x,) = node.inputs
    a = node.attrs
    whole = all(b == 0 and e == n and s == 1
                for b, e, s, n in zip(a['begin'], a['end'], a['step'], x.shape))
    return x if whole else None


_RULES: dict[str, Callable[[Graph, Node], Result]] = {
    'add': _add, 'sub': _sub, 'mul': _mul, 'div': _div, 'neg': _neg, 'where': _where,
    'cast': _cast, 'transpose': _transpose, 'reshape': _reshape_like,
    'broadcast_to': _reshape_like, 'slice': _slice,
}
