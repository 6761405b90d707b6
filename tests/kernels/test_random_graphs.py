"""Random graphs from hypothesis: the C program computes what the interpreter does.

Graphs mix elementwise (with broadcasting), reduction, matmul and layout nodes,
so fusion groups, reduction tails, strided reads and buffer reuse meet in
combinations nobody wrote by hand; a second set leans on the nodes fusion takes in
as reads (pad, concat, slices, reshapes that split and merge axes). float64 is
compared tightly, float32 loosely. Each example is one C build (cached on disk by
source), so the example count is small.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen import Graph, interpreter, parse
from codegen.backends import get_backend

UNARY = ['exp', 'tanh', 'neg', 'abs', 'sin', 'sqrt_abs']
BINARY = ['add', 'sub', 'mul', 'maximum', 'minimum', 'where_gt']


KINDS = ['unary', 'binary', 'binary', 'reduce', 'matmul', 'transpose', 'broadcast', 'slice',
         'reshape']
READ_KINDS = ['unary', 'unary', 'binary', 'reduce', 'slice', 'reshape', 'pad', 'pad',
              'concat', 'concat', 'regroup']


@st.composite
def graphs(draw, kinds=tuple(KINDS), chains=False):
    """A random graph of 2 to 10 nodes; ``chains``: each node mostly reads one of the last
    three values, so reads of reads (a reshape of a pad of a slice...) come up often."""
    dtype = draw(st.sampled_from(['float32', 'float64']))
    n, m = draw(st.sampled_from([1, 3, 5])), draw(st.sampled_from([1, 4, 7]))
    g = Graph()
    values = [g.input((n, m), dtype), g.input((m,), dtype), g.input((m, n), dtype)]
    for _ in range(draw(st.integers(2, 10))):
        x = draw(st.sampled_from(values[-3:] if chains and draw(st.booleans()) else values))
        kind = draw(st.sampled_from(kinds))
        if kind == 'unary':
            op = draw(st.sampled_from(UNARY))
            v = g.add('sqrt', [g.add('abs', [x])]) if op == 'sqrt_abs' else g.add(op, [x])
        elif kind == 'binary':
            # an operand of the same shape, or one that broadcasts against x
            fits = [u for u in values if u.shape == x.shape or u.shape == x.shape[-1:]
                    or u.ndim == 2 and x.ndim == 2 and u.shape[0] == 1 and
                    u.shape[1] == x.shape[1]]
            y = draw(st.sampled_from(fits))
            op = draw(st.sampled_from(BINARY))
            if op == 'where_gt':
                v = g.add('where', [g.add('gt', [x, y]), x, y])
            else:
                v = g.add(op, [x, y])
        elif kind == 'reduce':
            op = draw(st.sampled_from(['sum', 'max', 'min']))
            axes = draw(st.sampled_from([None] + [(a,) for a in range(x.ndim)]))
            v = g.add(op, [x], axes=axes, keepdims=draw(st.booleans()))
        elif kind == 'matmul' and x.ndim == 2:
            ys = [u for u in values if u.ndim == 2 and (u.shape[0] == x.shape[1] or
                                                        u.shape[1] == x.shape[1])]
            if not ys:
                continue
            y = draw(st.sampled_from(ys))
            v = g.add('matmul', [x, y], transb=y.shape[0] != x.shape[1])
        elif kind == 'transpose' and x.ndim == 2:
            v = g.add('transpose', [x], axes=(1, 0))
        elif kind == 'broadcast' and x.ndim <= 1:
            v = g.add('broadcast_to', [x], shape=(draw(st.sampled_from([1, 2, 3])),) + x.shape)
        elif kind == 'slice' and x.ndim >= 1 and x.shape[-1] > 1:
            step = draw(st.sampled_from([1, 2, -1]))
            begin = [0] * (x.ndim - 1) + [None]
            v = g.add('slice', [x], begin=tuple(begin), end=(None,) * x.ndim,
                      step=(1,) * (x.ndim - 1) + (step,))
        elif kind == 'reshape' and x.ndim >= 1:
            v = g.add('reshape', [x], shape=(x.size,) if x.ndim > 1 else (1, x.size))
        elif kind == 'regroup' and x.ndim == 2:
            # (a, b) -> (b, a) keeps the elements' order: axes merge and split again
            v = g.add('reshape', [x], shape=x.shape[::-1])
        elif kind == 'pad':
            width = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in x.shape)
            v = g.add('pad', [x], pad_width=width, value=draw(st.sampled_from([0.0, 1.5])))
        elif kind == 'concat' and x.ndim >= 1:
            axis = draw(st.integers(0, x.ndim - 1))
            fits = [u for u in values if u.ndim == x.ndim and all(
                a == b for d, (a, b) in enumerate(zip(u.shape, x.shape)) if d != axis)]
            parts = [x] + draw(st.lists(st.sampled_from(fits), min_size=1, max_size=2))
            v = g.add('concat', parts, axis=axis)
        else:
            continue
        values.append(v)
    made = values[3:] or [g.add('neg', [values[0]])]
    k = draw(st.integers(1, min(3, len(made))))
    g.set_outputs(draw(st.permutations(made))[:k])
    g.validate()
    return g


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(graphs(), st.integers(0, 2 ** 16))
def test_c_matches_interpreter(graph, seed):
    check(graph, seed)


@SETTINGS
@given(graphs(kinds=tuple(READ_KINDS), chains=True), st.integers(0, 2 ** 16))
def test_c_matches_interpreter_on_reads(graph, seed):
    check(graph, seed)


def check(graph, seed):
    rng = np.random.RandomState(seed)
    xs = [rng.uniform(-2, 2, v.shape).astype(v.dtype) for v in graph.inputs]
    want = interpreter.run(graph, xs)
    program = get_backend('c').build(parse(graph.to_text()))
    got = program(xs)
    tight = graph.inputs[0].dtype == 'float64'
    tol = {'rtol': 1e-11, 'atol': 1e-12} if tight else {'rtol': 2e-4, 'atol': 2e-5}
    for w, o in zip(want, got):
        assert o.shape == w.shape and o.dtype == w.dtype
        np.testing.assert_allclose(o, w, err_msg=graph.to_text(), **tol)
