"""Batched matmuls with one operand shared by every batch: one GEMM instead of many.

Batch axes that broadcast only partly (``(2, 1)`` against ``(1, 3)``) cannot be given to
BLAS as strides: that operand is broadcast to the full batch first, so every backend can
run it.

A convolution multiplies its weight ``(1, O, K)`` with each image's columns
``(n, 1, K, M)``: as a batched matmul that is ``n`` small BLAS calls. The same products
are one GEMM with the batch laid side by side, ``W @ [B_0 B_1 ...]`` (the shared operand
on the left) or ``[A_0; A_1; ...] @ W`` (on the right). The regrouping is reshapes and
transposes, which the fusion pass reads through (codegen.passes.fuse) rather than copies
where the operands are made by reads (im2col) or read by fused loops (the bias and
activation after a convolution).
"""
from __future__ import annotations

import math

from codegen.ir import Graph, Node, Value
from codegen.passes.rewrite import make_node, rewrite


def batch_matmul(graph: Graph) -> Graph:
    """Turn batched matmuls whose one operand has a single batch into 2-D ones, and
    broadcast operands whose batch axes broadcast partly (in place).

    >>> from codegen import Graph
    >>> g = Graph(); w = g.input((1, 4, 3), 'float32'); x = g.input((5, 3, 7), 'float32')
    >>> g.set_outputs([g.add('matmul', [w, x])])
    >>> [(n.op, n.outputs[0].shape) for n in batch_matmul(g).nodes]  # doctest: +NORMALIZE_WHITESPACE
    [('reshape', (4, 3)), ('transpose', (3, 5, 7)), ('reshape', (3, 35)),
     ('matmul', (4, 35)), ('reshape', (4, 5, 7)), ('transpose', (5, 4, 7))]
    """
    return rewrite(graph, _unbatch)


def _unbatch(graph: Graph, node: Node) -> list | None:
    """The nodes that compute ``node`` (a matmul) as one 2-D matmul, or None."""
    if node.op != 'matmul':
        return None
    a, b = node.inputs
    out = node.outputs[0]
    ta, tb = node.attrs['transa'], node.attrs['transb']
    if out.ndim < 3 or out.size == 0:
        return None
    batch = math.prod(out.shape[:-2])
    size_a, size_b = math.prod(a.shape[:-2]), math.prod(b.shape[:-2])
    m, n = out.shape[-2:]
    k = a.shape[-2] if ta else a.shape[-1]
    chain: list = []

    def add(op, inputs, **attrs) -> Value:
        if op == 'reshape' and tuple(attrs['shape']) == inputs[0].shape:
            return inputs[0]
        chain.append(make_node(graph, op, inputs, **attrs))
        return chain[-1].outputs[0]

    if size_a not in (1, batch) or size_b not in (1, batch):
        full = out.shape[:-2]
        if size_a not in (1, batch):
            a = add('broadcast_to', [a], shape=full + a.shape[-2:])
        if size_b not in (1, batch):
            b = add('broadcast_to', [b], shape=full + b.shape[-2:])
        add('matmul', [a, b], transa=ta, transb=tb)
        return chain
    if size_a == 1 and size_b == batch > 1:
        # W @ [B_0 B_1 ...]: the batch side by side along the columns
        w = add('reshape', [a], shape=a.shape[-2:])
        bs = add('reshape', [b], shape=(batch,) + b.shape[-2:])
        if tb:   # each B_i is (n, k): the rows of all of them, stacked, are (batch * n, k)
            cat = add('reshape', [bs], shape=(batch * n, k))
        else:    # each B_i is (k, n)
            cat = add('reshape', [add('transpose', [bs], axes=(1, 0, 2))], shape=(k, batch * n))
        c = add('matmul', [w, cat], transa=ta, transb=tb)                  # (m, batch * n)
        c = add('transpose', [add('reshape', [c], shape=(m, batch, n))], axes=(1, 0, 2))
    elif size_b == 1 and size_a == batch > 1:
        # [A_0; A_1; ...] @ W: the batch stacked along the rows
        w = add('reshape', [b], shape=b.shape[-2:])
        as_ = add('reshape', [a], shape=(batch,) + a.shape[-2:])
        if ta:   # each A_i is (k, m)
            cat = add('reshape', [add('transpose', [as_], axes=(0, 2, 1))], shape=(batch * m, k))
        else:    # each A_i is (m, k): stacked as they lie
            cat = add('reshape', [as_], shape=(batch * m, k))
        c = add('matmul', [cat, w], transa=False, transb=tb)               # (batch * m, n)
    else:
        return None
    add('reshape', [c], shape=out.shape)
    return chain
