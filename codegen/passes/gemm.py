"""GEMM accumulation: a product added to (or subtracted from) a value of its own shape
becomes one BLAS call, ``C = alpha * A @ B + beta * C``, instead of a GEMM and a pass.

``add(matmul(a, b), c)`` and ``add(c, matmul(a, b))`` give ``gemm(a, b, c)`` with
alpha 1; ``sub(c, matmul(a, b))`` gives alpha -1; ``sub(matmul(a, b), c)`` gives beta
-1. The product must have no other reader, and ``c`` its exact shape and dtype (no
broadcast: BLAS accumulates into a full matrix). The C backend then computes the
result in ``c``'s buffer when ``c`` is not needed afterwards.
"""
from __future__ import annotations

from codegen.ir import Graph, Node


def gemm_accumulate(graph: Graph) -> Graph:
    """Fold additions of GEMM products into ``gemm`` nodes (in place; returns the graph).

    >>> from codegen import Graph
    >>> g = Graph(); a = g.input((2, 3), 'float32'); b = g.input((3, 4), 'float32')
    >>> c = g.input((2, 4), 'float32')
    >>> g.set_outputs([g.add('sub', [c, g.add('matmul', [a, b])])])
    >>> [n.op for n in gemm_accumulate(g).nodes], g.nodes[0].attrs['alpha']
    (['gemm'], -1.0)
    """
    users = graph.users()
    outputs = {v.id for v in graph.outputs}
    producer = {o.id: n for n in graph.nodes for o in n.outputs}
    replaced: dict = {}     # id(add node) -> gemm node
    dropped: set = set()    # ids of matmul nodes folded away
    for node in graph.nodes:
        if node.op not in ('add', 'sub'):
            continue
        out = node.outputs[0]
        for k, v in enumerate(node.inputs):
            mm = producer.get(v.id)
            other = node.inputs[1 - k]
            if mm is None or mm.op != 'matmul' or id(mm) in dropped:
                continue
            if len(users.get(v.id, ())) != 1 or v.id in outputs:
                continue
            if other.shape != out.shape or other.dtype != out.dtype or v.shape != out.shape:
                continue
            alpha = -1.0 if (node.op == 'sub' and k == 1) else 1.0
            beta = -1.0 if (node.op == 'sub' and k == 0) else 1.0
            gemm = Node('gemm', [mm.inputs[0], mm.inputs[1], other],
                        {'transa': mm.attrs['transa'], 'transb': mm.attrs['transb'],
                         'alpha': alpha, 'beta': beta}, [out])
            out.producer = gemm
            replaced[id(node)] = gemm
            dropped.add(id(mm))
            break
    if replaced:
        graph.nodes = [replaced.get(id(n), n) for n in graph.nodes if id(n) not in dropped]
    return graph
