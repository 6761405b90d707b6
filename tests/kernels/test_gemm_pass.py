"""GEMM accumulation: products added into values of their shape become one BLAS call."""
import numpy as np
import pytest

from codegen import Graph, interpreter
from codegen.backends import c
from codegen.passes.gemm import gemm_accumulate


def feeds(graph, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.uniform(-1, 1, v.shape).astype(v.dtype) for v in graph.inputs]


def two_products(dtype='float64'):
    """gx = gy1 @ W1 + gy2 @ W2 (a variable read by two layers), then a pass over it."""
    g = Graph()
    gy1, gy2 = g.input((4, 7), dtype), g.input((4, 7), dtype)
    w1, w2 = g.input((7, 5), dtype), g.input((7, 5), dtype)
    gx = g.add('add', [g.add('matmul', [gy1, w1]), g.add('matmul', [gy2, w2])])
    g.set_outputs([g.add('exp', [gx])])
    return g


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_sum_of_products_becomes_one_accumulating_gemm(dtype):
    g = two_products(dtype)
    x = feeds(g)
    expected = interpreter.run(g, x)
    gemm_accumulate(g)
    assert [n.op for n in g.nodes] == ['matmul', 'gemm', 'exp']
    np.testing.assert_allclose(interpreter.run(g, x)[0], expected[0], rtol=1e-5)
    prog = c.build(g)
    np.testing.assert_allclose(prog(x)[0], expected[0], rtol=1e-5)
    assert prog.stats['blas_calls'] == 2
    # accumulated in place: no copy of the addend into the result
    body = prog.source[prog.source.index('int tg_run'):]
    assert 'memcpy' not in body


@pytest.mark.parametrize('op,swap,alpha,beta', [('sub', False, -1.0, 1.0), ('sub', True, 1.0, -1.0),
                                               ('add', True, 1.0, 1.0)])
def test_signs(op, swap, alpha, beta):
    g = Graph()
    a, b, cc = g.input((3, 4), 'float64'), g.input((4, 2), 'float64'), g.input((3, 2), 'float64')
    mm = g.add('matmul', [a, b])
    g.set_outputs([g.add(op, [mm, cc] if swap else [cc, mm])])
    x = feeds(g)
    expected = interpreter.run(g, x)[0]
    gemm_accumulate(g)
    node, = g.nodes
    assert (node.op, node.attrs['alpha'], node.attrs['beta']) == ('gemm', alpha, beta)
    np.testing.assert_allclose(interpreter.run(g, x)[0], expected)
    out = c.build(g)(x)[0]
    np.testing.assert_allclose(out, expected)
    np.testing.assert_array_equal(x[2], feeds(g)[2])  # the addend, a graph input, is untouched


def test_not_folded_when_product_is_read_elsewhere_or_broadcast():
    g = Graph()
    a, b = g.input((3, 4), 'float64'), g.input((4, 2), 'float64')
    bias = g.input((2,), 'float64')
    mm = g.add('matmul', [a, b])
    g.set_outputs([g.add('add', [mm, bias])])          # a broadcast bias: not a BLAS C
    assert [n.op for n in gemm_accumulate(g).nodes] == ['matmul', 'add']
    g2 = Graph()
    a, b, cc = g2.input((3, 4), 'float64'), g2.input((4, 2), 'float64'), g2.input((3, 2), 'float64')
    mm = g2.add('matmul', [a, b])
    g2.set_outputs([g2.add('add', [mm, cc]), mm])      # the product itself is an output
    assert [n.op for n in gemm_accumulate(g2).nodes] == ['matmul', 'add']
