"""Sums of products: one GEMM over concatenated operands instead of one per term.

The gradient of a weight that a step uses many times (an RNN's weights, once per time
step) arrives as one product per use, added up: ``gW = gy_1^T x_1 + gy_2^T x_2 + ...``.
Each product is a GEMM whose contracted dimension is one batch (20 rows), which BLAS runs
far below its speed, each accumulating into ``gW`` again. The same sum is one product
of the operands laid end to end along the contracted axis, ``[gy_1; gy_2; ...]^T [x_1;
x_2; ...]``: one GEMM with ``K`` the sum of the ``K``s, plus the copies of the operands.
That pays only while each ``K`` is short: measured as C programs, 35 products into an
800x200 weight took 5.7 ms one by one (accumulating through BLAS's beta) and 2.4 ms as one
for K = 20; 1.13x and 1.6x longer as one for K = 128 and 512; two 1000x1000 products 0.83x
for K = 64. So only products with K up to :data:`MAX_K` are merged.
"""
from __future__ import annotations

from codegen.ir import Graph, Node, Value
from codegen.passes.rewrite import make_node, rewrite

MAX_K = 64   # the longest contraction of a product merged with others


def matmul_sum(graph: Graph) -> Graph:
    """Replace each sum (a tree of ``add``) of two or more 2-D matmuls with the same
    transposition flags and a contraction of at most :data:`MAX_K` by one matmul of
    concatenated operands (in place).

    >>> from codegen import Graph
    >>> g = Graph()
    >>> a1, a2 = g.input((3, 5), 'float32'), g.input((2, 5), 'float32')
    >>> b1, b2 = g.input((3, 4), 'float32'), g.input((2, 4), 'float32')
    >>> p1 = g.add('matmul', [a1, b1], transa=True)
    >>> g.set_outputs([g.add('add', [p1, g.add('matmul', [a2, b2], transa=True)])])
    >>> [(n.op, n.outputs[0].shape) for n in matmul_sum(g).nodes[-3:]]
    [('concat', (5, 5)), ('concat', (5, 4)), ('matmul', (5, 4))]
    """
    users = graph.users()
    outputs = {v.id for v in graph.outputs}

    def only_feeds_a_sum(v: Value) -> bool:
        readers = users.get(v.id, ())
        return v.id not in outputs and len(readers) == 1 and readers[0].op == 'add' \
            and readers[0].outputs[0].shape == v.shape

    def rule(graph: Graph, node: Node):
        if node.op != 'add' or only_feeds_a_sum(node.outputs[0]):
            return None   # not an add, or inside a bigger sum: the sum's root handles it
        terms = _terms(node, only_feeds_a_sum)
        groups: dict = {}
        for k, v in enumerate(terms):
            p = v.producer
            if p is not None and p.op == 'matmul' and only_feeds_a_sum(v) \
                    and p.inputs[0].ndim == 2 and p.inputs[1].ndim == 2 \
                    and p.inputs[0].shape[0 if p.attrs['transa'] else 1] <= MAX_K:
                groups.setdefault((p.attrs['transa'], p.attrs['transb']), []).append(k)
        groups = {flags: ks for flags, ks in groups.items() if len(ks) > 1}
        if not groups:
            return None
        new_nodes, merged = [], {}
        for (transa, transb), ks in groups.items():
            products = [terms[k].producer for k in ks]
            a = make_node(graph, 'concat', [p.inputs[0] for p in products],
                          axis=0 if transa else 1)
            b = make_node(graph, 'concat', [p.inputs[1] for p in products],
                          axis=1 if transb else 0)
            mm = make_node(graph, 'matmul', [a.outputs[0], b.outputs[0]], transa=transa,
                           transb=transb)
            new_nodes += [a, b, mm]
            merged[ks[0]] = mm.outputs[0]
            merged.update((k, None) for k in ks[1:])
        total = None
        for k, v in enumerate(terms):
            v = merged.get(k, v)
            if v is None:
                continue
            if total is not None:
                add = make_node(graph, 'add', [total, v])
                new_nodes.append(add)
                v = add.outputs[0]
            total = v
        return new_nodes   # the last computes the whole sum

    return rewrite(graph, rule)


def _terms(root: Node, inner) -> list:
    """The values a tree of ``add`` nodes under ``root`` sums, left to right; an add whose
    result ``inner(v)`` says feeds only the tree is opened, anything else is a term."""
    terms = []
    for v in root.inputs:
        p = v.producer
        if p is not None and p.op == 'add' and inner(v) \
                and all(u.shape == v.shape for u in p.inputs):
            terms += _terms(p, inner)
        else:
            terms.append(v)
    return terms
