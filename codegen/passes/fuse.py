"""Elementwise fusion: groups of elementwise nodes become one ``fusion`` node.

A group iterates one shape. It takes in every elementwise node of that shape
it can without creating a cycle, the nodes that only read its inputs at other
indices (transpose, broadcast_to, slice: strided reads; pad: a read where the
index falls inside the array, the pad value elsewhere; concat and reshape of
such reads: a read of the part the index falls in), constant fills (literals),
and reductions of its values as the loop's tail (the reduced result is an
output of the group, never read inside it). Whatever a group computes that is
used elsewhere becomes one of its outputs. So a convolution's im2col (pad, nine
strided windows, concat) is one loop, and col2im's nine padded windows summed
are one loop, not twenty copies.

Groups grow along producer->user edges, and when a node reads the values of two
groups of its shape, the two become one where neither depends on the other through
a node outside them (``m = momentum * v`` and ``d = lr * g`` started apart; ``m - d``
joins them: one loop over the parameter instead of two, and no ``lr * g`` in memory).

Afterwards every elementwise, reduction, fill and read node outside a group is
wrapped in a group of its own, so a backend lowers only ``fusion``, ``matmul``
and the few data-movement primitives (a concat of computed arrays stays a copy,
a reshape of one stays a view).
"""
from __future__ import annotations

import heapq

from codegen.ir import Graph, Node, Value
from codegen.primitives import get_primitive

REINDEX = frozenset({'transpose', 'broadcast_to', 'slice'})
LITERALS = frozenset({'fill', 'iota'})
TAIL_REDUCTIONS = frozenset({'sum', 'max', 'min'})


class _Group:
    __slots__ = ('axes', 'feeds', 'id', 'nodes', 'shape', 'tails')

    def __init__(self, gid: int, shape: tuple):
        self.id = gid
        self.shape = shape
        self.nodes: list = []
        self.tails: set = set()   # ids of reduction outputs (complete only after the loop)
        self.axes = None          # the reduced axes of the group's reductions
        self.feeds: set = set()   # ids of the groups whose values its nodes read


def _groupable(node: Node) -> bool:
    return get_primitive(node.op).kind == 'elementwise'


def fuse(graph: Graph) -> Graph:
    """Replace groups of elementwise nodes (and their reduction tails) by fusion nodes."""
    producer = {o.id: n for n in graph.nodes for o in n.outputs}
    group_of: dict = {}       # node id -> _Group
    depends: dict = {}        # value id -> frozenset of the nearest group ids upstream of it
    groups: list = []
    merged: dict = {}         # group id -> the id of the group it was merged into

    def find(gid: int) -> int:
        while gid in merged:
            gid = merged[gid]
        return gid

    def closure(gids) -> set:
        """The groups ``gids`` and every group upstream of them. Computed when asked,
        through each group's feeds: groups grow, and a group that later reads another
        group's value makes everything downstream of it depend on that group too (else
        two groups could feed each other)."""
        todo, seen = [find(g) for g in gids], set()
        while todo:
            gid = todo.pop()
            if gid not in seen:
                seen.add(gid)
                todo.extend(find(f) for f in groups[gid].feeds)
        return seen

    def deps(v: Value) -> set:
        """Every group v depends on."""
        return closure(depends.get(v.id, ()))

    def in_group(v: Value, g: _Group) -> bool:
        p = producer.get(v.id)
        return p is not None and group_of.get(id(p)) is g

    def can_join(node: Node, g: _Group, besides: _Group | None = None) -> bool:
        """Whether ``node`` may join ``g`` (reading values of ``besides`` as if inside)."""
        for v in node.inputs:
            if v.id in g.tails:
                return False
            if not in_group(v, g) and not (besides is not None and in_group(v, besides)) \
                    and g.id in deps(v):
                return False
        return True

    def merge_into(g: _Group, node: Node) -> None:
        """Merge into ``g`` the other groups of ``node``'s shape whose values it reads,
        where that makes no cycle: neither group upstream of the other, and none of the
        node's other inputs downstream of the merged group."""
        for v in node.inputs:
            p = producer.get(v.id)
            b = group_of.get(id(p)) if p is not None else None
            if b is None or b is g or b.shape != g.shape or b.tails or \
                    not can_join(node, b, besides=g) or \
                    b.id in closure(g.feeds) or g.id in closure(b.feeds):
                continue
            merged[b.id] = g.id
            for n in b.nodes:
                group_of[id(n)] = g
            g.nodes.extend(b.nodes)
            g.feeds.update(b.feeds)
            g.feeds.discard(g.id)
            b.nodes, b.feeds = [], set()

    def source_groups(v: Value) -> list:
        """Groups whose value v is, looking through re-indexing and literal nodes."""
        p = producer.get(v.id)
        if p is None:
            return []
        g = group_of.get(id(p))
        if g is not None:
            return [g]
        return []

    for node in graph.nodes:
        group = None
        if _groupable(node):
            shape = node.outputs[0].shape
            for v in node.inputs:
                for g in source_groups(v):
                    if g.shape == shape and can_join(node, g):
                        group = g
                        break
                if group is not None:
                    break
            if group is None:
                group = _Group(len(groups), shape)
                groups.append(group)
            merge_into(group, node)
            group.nodes.append(node)
        elif node.op in TAIL_REDUCTIONS:
            v = node.inputs[0]
            axes = node.attrs['axes']
            for g in source_groups(v):
                if g.shape == v.shape and in_group(v, g) and v.id not in g.tails and \
                        (g.axes is None or g.axes == axes) and can_join(node, g):
                    group = g
                    break
            if group is None:
                group = _Group(len(groups), v.shape)
                groups.append(group)
            group.nodes.append(node)
            group.axes = axes
            group.tails.add(node.outputs[0].id)
        if group is not None:
            group_of[id(node)] = group
            for v in node.inputs:
                group.feeds.update(depends.get(v.id, ()))
            group.feeds = {find(f) for f in group.feeds} - {group.id}
            d = frozenset({group.id})
        else:
            d = frozenset().union(*(depends.get(v.id, frozenset()) for v in node.inputs))
        for o in node.outputs:
            depends[o.id] = d

    position = {id(n): k for k, n in enumerate(graph.nodes)}
    for g in groups:  # merged groups' nodes came in out of order
        g.nodes.sort(key=lambda n: position[id(n)])
    return _rewrite(graph, [g for g in groups if g.nodes], group_of, producer)


def _rewrite(graph: Graph, groups: list, group_of: dict, producer: dict) -> Graph:
    users = graph.users()
    graph_outputs = {v.id for v in graph.outputs}
    reads = _Reads(producer)
    replaced: dict = {}      # node id -> fusion node that stands for it, or None (dropped)
    new_nodes = []
    needed = set(graph_outputs)  # values some kept node (or the caller) reads
    for g in groups:
        fusion = _build_fusion(graph, g, group_of, producer, users, graph_outputs, reads)
        if not fusion.outputs:
            fusion = None  # nothing reads what the group computes
        else:
            needed.update(v.id for v in fusion.inputs)
        for n in g.nodes:
            replaced[id(n)] = fusion
    for n in graph.nodes:
        if id(n) not in replaced and n.op != 'reshape' and not reads.is_read(n):
            needed.update(v.id for v in n.inputs)
    # Read-only nodes (layout, literals, pad) and reshapes, consumers first: a reshape is kept
    # (a view) where something reads it; a read-only node read by a kept node (or a fusion
    # that could not take it in) gets a group of its own that materialises it. The others
    # were taken into every fusion body that reads them.
    for n in reversed(graph.nodes):
        if id(n) in replaced:
            continue
        if n.op == 'reshape':
            if n.outputs[0].id in needed:
                needed.add(n.inputs[0].id)
            else:
                replaced[id(n)] = None
        elif reads.is_read(n):
            if n.outputs[0].id in needed:
                g = _Group(-1, n.outputs[0].shape)
                g.nodes.append(n)
                group_of[id(n)] = g
                fusion = _build_fusion(graph, g, group_of, producer, users, graph_outputs,
                                       reads)
                needed.update(v.id for v in fusion.inputs)
                replaced[id(n)] = fusion
            else:
                replaced[id(n)] = None
    seen = set()
    for n in graph.nodes:
        f = replaced.get(id(n), n)
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        new_nodes.append(f)
    graph.nodes = _toposort(new_nodes, graph)
    return graph


class _Reads:
    """Which nodes only read their inputs (no arithmetic), so a fusion body can take them
    in as reads at computed indices: literals, re-indexing, ``pad`` (a read where the index
    falls inside, the pad value elsewhere), ``concat`` and ``reshape`` of such reads (a
    plain concat of computed arrays stays a copy kernel, a reshape of one stays a view)."""

    def __init__(self, producer: dict):
        self.producer = producer
        self._memo: dict = {}

    def is_read(self, node: Node) -> bool:
        key = id(node)
        if key not in self._memo:
            if node.op in LITERALS or node.op in REINDEX or node.op == 'pad':
                result = True
            elif node.op in ('concat', 'reshape'):
                result = any(self._from_read(v) for v in node.inputs)
            else:
                result = False
            self._memo[key] = result
        return self._memo[key]

    def _from_read(self, v: Value) -> bool:
        p = self.producer.get(v.id)
        return p is not None and self.is_read(p)

    def absorbable(self, v: Value, g: _Group, group_of: dict) -> bool:
        """True when v is made by reads (down to values made outside the group) that
        group g can take into its body, instead of reading v from memory."""
        p = self.producer.get(v.id)
        if p is None or group_of.get(id(p)) is g or not self.is_read(p):
            return False
        for u in p.inputs:
            sp = self.producer.get(u.id)
            if sp is None:
                continue
            if group_of.get(id(sp)) is g:
                return False  # reading our own values at other indices would recompute them
            if self.is_read(sp) and not self.absorbable(u, g, group_of):
                return False
        return True


def _build_fusion(graph: Graph, g: _Group, group_of: dict, producer: dict, users: dict,
                  graph_outputs: set, reads: _Reads) -> Node:
    member_ids = {id(n) for n in g.nodes}
    body = Graph()
    mapping: dict = {}     # outer value id -> body value
    leaves: list = []      # outer values feeding the body

    def body_value(v: Value) -> Value:
        if v.id in mapping:
            return mapping[v.id]
        p = producer.get(v.id)
        if p is not None and id(p) not in member_ids and reads.absorbable(v, g, group_of):
            member_ids.add(id(p))
            inner = [body_value(u) for u in p.inputs]
            bv = _copy_node(body, p, inner)
        else:
            bv = body.input(v.shape, v.dtype)
            leaves.append(v)
        mapping[v.id] = bv
        return bv

    for n in g.nodes:
        out = _copy_node(body, n, [body_value(u) for u in n.inputs])
        mapping[n.outputs[0].id] = out

    outputs = []
    for n in g.nodes:
        for o in n.outputs:
            used_outside = o.id in graph_outputs or any(
                id(u) not in member_ids for u in users.get(o.id, ()))
            if used_outside:
                outputs.append(o)
    body.set_outputs([mapping[o.id] for o in outputs])
    node = Node('fusion', leaves, {'body': body.to_text()}, outputs)
    for o in outputs:
        o.producer = node
    return node


def _copy_node(body: Graph, node: Node, inputs: list) -> Value:
    """Append a copy of ``node`` to ``body`` with its attributes as they are: they are
    normalised already, and normalising twice is not always the identity (a slice
    normalised to end=-1 would read as 'the last element')."""
    prim = get_primitive(node.op)
    copy = Node(node.op, inputs, node.attrs, [])
    copy.outputs = [body._new_value(shape, dtype, copy)
                    for shape, dtype in prim.infer(inputs, node.attrs)]
    body.nodes.append(copy)
    return copy.outputs[0]


def _toposort(nodes: list, graph: Graph) -> list:
    """Order nodes so that every value is defined before use: of the nodes ready to run,
    always the one that came first (a fusion node stands where its first member stood), so
    the order stays as close to the traced one as dependencies allow."""
    produced_by = {o.id: k for k, n in enumerate(nodes) for o in n.outputs}
    waiting = [0] * len(nodes)
    readers: dict = {}
    for k, n in enumerate(nodes):
        for p in {produced_by[v.id] for v in n.inputs if v.id in produced_by}:
            waiting[k] += 1
            readers.setdefault(p, []).append(k)
    ready = [k for k in range(len(nodes)) if not waiting[k]]
    heapq.heapify(ready)
    ordered = []
    while ready:
        k = heapq.heappop(ready)
        ordered.append(nodes[k])
        for r in readers.get(k, ()):
            waiting[r] -= 1
            if not waiting[r]:
                heapq.heappush(ready, r)
    if len(ordered) != len(nodes):
        raise RuntimeError('fuse: the fused graph has a cycle (a bug in the fusion pass)')
    return ordered
