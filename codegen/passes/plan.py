"""Buffer planning: where every value lives while a compiled graph runs.

Graph inputs and outputs live in the caller's arrays; a ``reshape`` is an
alias of its input (all planned buffers are contiguous); a ``constant`` is a
static array in the generated code; every other value gets a range of one
arena, reused once its last reader has run (first fit, 64-byte aligned).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from codegen.ir import Graph
from codegen.primitives import ELEMENTWISE as _ELEMENTWISE

ALIGN = 64


@dataclass
class Plan:
    """Storage of each value id: ('input', k) | ('output', k) | ('arena', offset) |
    ('alias', value id) | ('static', value id)."""

    storage: dict = field(default_factory=dict)
    arena_bytes: int = 0
    # outputs whose value lives elsewhere (an input, a constant, another output,
    # an alias): the generated code copies them into the output at the end
    copies: list = field(default_factory=list)   # (output index, source value id)
    # outputs computed in place into an input's buffer: output index -> input index
    donated: dict = field(default_factory=dict)

    def root(self, vid: int) -> int:
        kind, ref = self.storage[vid]
        while kind == 'alias':
            vid = ref
            kind, ref = self.storage[vid]
        return vid


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def donatable(graph: Graph, out_index: int, in_index: int) -> bool:
    """Can output ``out_index`` be computed into the buffer of input ``in_index``?

    True when the output is made by a fusion node that reads the input only
    elementwise at the very index it writes (no broadcast, no re-indexing), and
    nothing after that node reads the input or an alias of it. Then updating the
    input in place (a parameter's SGD step, an optimizer's moment) is safe.
    """
    from codegen.ir import parse

    out, inp = graph.outputs[out_index], graph.inputs[in_index]
    node = out.producer
    if node is None or node.op != 'fusion' or out.shape != inp.shape or out.dtype != inp.dtype:
        return False
    if inp in graph.outputs:
        return False
    position = graph.nodes.index(node)
    aliases = {inp.id}
    for n in graph.nodes:
        if n.op == 'reshape' and n.inputs[0].id in aliases:
            aliases.add(n.outputs[0].id)
    for n in graph.nodes[position + 1:]:
        if any(v.id in aliases for v in n.inputs):
            return False
    if any(v.id in aliases - {inp.id} for v in node.inputs):
        return False
    body = parse(node.attrs['body'])
    leaves = [b for v, b in zip(node.inputs, body.inputs) if v.id == inp.id]
    for leaf in leaves:
        if leaf.shape != out.shape:
            return False
        for n in body.nodes:
            if leaf in n.inputs and (n.op not in _ELEMENTWISE or n.outputs[0].shape != out.shape):
                return False
    return True


def plan(graph: Graph, donate: dict | None = None) -> Plan:
    """Assign storage to every value of ``graph`` (nodes in execution order).

    ``donate`` maps output indices to input indices whose buffers they may reuse
    (see :func:`donatable`); the honoured ones are in ``Plan.donated``.
    """
    p = Plan()
    for k, v in enumerate(graph.inputs):
        p.storage[v.id] = ('input', k)
    output_slot: dict = {}
    taken: set = set()
    for out_index, in_index in sorted((donate or {}).items()):
        v = graph.outputs[out_index]
        if in_index in taken or graph.outputs.index(v) != out_index or \
                not donatable(graph, out_index, in_index):
            continue
        taken.add(in_index)
        p.donated[out_index] = in_index
        output_slot[v.id] = ('donated', in_index)
    for k, v in enumerate(graph.outputs):
        if v.id in output_slot or v.id in p.storage:
            continue  # an input, or listed twice: copied at the end
        producer = v.producer
        if producer is not None and producer.op in ('reshape', 'constant'):
            continue  # lives elsewhere: copied at the end
        output_slot[v.id] = k
    for k, v in enumerate(graph.outputs):
        if output_slot.get(v.id) != k and p.donated.get(k) is None:
            p.copies.append((k, v.id))

    last_use: dict = {}
    for i, node in enumerate(graph.nodes):
        for v in node.inputs:
            last_use[v.id] = i
    # an alias keeps its root alive as long as the alias itself is used
    alias_of: dict = {}
    for node in graph.nodes:
        if node.op == 'reshape':
            alias_of[node.outputs[0].id] = node.inputs[0].id
    for vid, src in alias_of.items():
        root = src
        while root in alias_of:
            root = alias_of[root]
        if vid in last_use:
            last_use[root] = max(last_use.get(root, -1), last_use[vid])
    for vid in {c[1] for c in p.copies}:
        root = vid
        while root in alias_of:
            root = alias_of[root]
        last_use[root] = len(graph.nodes)  # read by the final copies

    free: list = []      # (offset, size) blocks, kept sorted by offset
    top = 0
    live: dict = {}      # value id -> (offset, size)
    releases: dict = {}  # node index -> value ids whose last use is there
    for vid, i in last_use.items():
        releases.setdefault(i, []).append(vid)

    def allocate(size: int) -> int:
        nonlocal top
        for j, (off, sz) in enumerate(free):
            if sz >= size:
                if sz == size:
                    free.pop(j)
                else:
                    free[j] = (off + size, sz - size)
                return off
        off = top
        top += size
        return off

    def release(off: int, size: int) -> None:
        free.append((off, size))
        free.sort()
        merged: list = []
        for o, s in free:
            if merged and merged[-1][0] + merged[-1][1] == o:
                merged[-1] = (merged[-1][0], merged[-1][1] + s)
            else:
                merged.append((o, s))
        free[:] = merged

    for i, node in enumerate(graph.nodes):
        for o in node.outputs:
            if o.id in output_slot:
                slot = output_slot[o.id]
                p.storage[o.id] = ('input', slot[1]) if isinstance(slot, tuple) else \
                    ('output', slot)
            elif node.op == 'reshape':
                p.storage[o.id] = ('alias', node.inputs[0].id)
            elif node.op == 'constant':
                p.storage[o.id] = ('static', o.id)
            elif node.op == 'gemm' and node.inputs[2].id in live and \
                    last_use.get(node.inputs[2].id) == i and \
                    node.inputs[2].id not in alias_of.values():
                # accumulate in place: the result takes over the addend's buffer
                c = node.inputs[2].id
                p.storage[o.id] = p.storage[c]
                live[o.id] = live.pop(c)
                if o.id not in last_use:
                    releases.setdefault(i, []).append(o.id)
            else:
                size = _align(max(o.size * o.itemsize, 1))
                off = allocate(size)
                p.storage[o.id] = ('arena', off)
                live[o.id] = (off, size)
                if o.id not in last_use:  # never read: free right away
                    releases.setdefault(i, []).append(o.id)
        for vid in releases.get(i, ()):
            if vid in live:
                release(*live.pop(vid))
    p.arena_bytes = top
    return p
