"""The elementwise fusion pass on hand-built graphs.

Each pattern checks the structure fuse() leaves (how many nodes, which ops sit in
which fusion body, what the bodies read) and that the fused graph computes what
the original does, with the reference interpreter and with the C backend.
"""
import numpy as np
import pytest

from codegen import Graph, interpreter, parse
from codegen.backends import get_backend
from codegen.passes.fuse import fuse

FLOATS = ['float32', 'float64']


def inputs_for(graph, seed=0):
    rng = np.random.RandomState(seed)
    out = []
    for v in graph.inputs:
        if v.dtype == 'bool':
            out.append(rng.uniform(size=v.shape) > 0.5)
        elif np.dtype(v.dtype).kind in 'iu':
            out.append(rng.randint(0, 3, v.shape).astype(v.dtype))
        else:
            out.append(rng.uniform(-2, 2, v.shape).astype(v.dtype))
    return out


def fused(graph):
    """(original, fused copy): fuse() runs on a copy and leaves a valid graph."""
    g = fuse(parse(graph.to_text()))
    g.validate()
    assert [v.id for v in g.inputs] == [v.id for v in graph.inputs]
    assert [(v.shape, v.dtype) for v in g.outputs] == [(v.shape, v.dtype) for v in graph.outputs]
    return g


def assert_same(graph, g, c=True):
    """The fused graph computes what the original does (interpreter; and C when asked)."""
    xs = inputs_for(graph)
    want = interpreter.run(graph, xs)
    tol = {'rtol': 1e-5, 'atol': 1e-6} if graph.outputs[0].dtype == 'float32' else \
        {'rtol': 1e-12, 'atol': 1e-12}
    for w, got in zip(want, interpreter.run(g, xs)):
        np.testing.assert_allclose(got, w, **tol)
    if c:
        prog = get_backend('c').build(parse(graph.to_text()))
        for w, got in zip(want, prog(xs)):
            np.testing.assert_allclose(got, w, **tol)


def bodies(g):
    return [parse(n.attrs['body']) for n in g.nodes if n.op == 'fusion']


def ops(body):
    return sorted(n.op for n in body.nodes)


@pytest.mark.parametrize('dtype', FLOATS)
def test_elementwise_chain_is_one_fusion(dtype):
    g = Graph()
    x = g.input((7, 13), dtype)
    y = g.input((7, 13), dtype)
    h = g.add('exp', [x])
    h = g.add('mul', [h, y])
    h = g.add('add', [h, x])
    h = g.add('tanh', [h])
    g.set_outputs([h])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion']
    assert ops(bodies(f)[0]) == ['add', 'exp', 'mul', 'tanh']
    assert [v.id for v in f.nodes[0].inputs] == [x.id, y.id]  # each input read once
    assert_same(g, f)


@pytest.mark.parametrize('dtype', FLOATS)
def test_reindexing_absorbed_as_strided_reads(dtype):
    """broadcast_to, transpose and slice feeding a group become reads of the raw inputs."""
    g = Graph()
    a = g.input((3, 4), dtype)
    b = g.input((4,), dtype)
    t = g.input((4, 3), dtype)
    s = g.input((7, 4), dtype)
    bb = g.add('broadcast_to', [b], shape=(3, 4))
    tt = g.add('transpose', [t], axes=(1, 0))
    ss = g.add('slice', [s], begin=(6, 0), end=(None, 4), step=(-3, 1))
    h = g.add('add', [a, bb])
    h = g.add('mul', [h, tt])
    h = g.add('sub', [h, ss])
    g.set_outputs([h])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion']
    assert {v.id for v in f.nodes[0].inputs} == {a.id, b.id, t.id, s.id}
    assert ops(bodies(f)[0]) == ['add', 'broadcast_to', 'mul', 'slice', 'sub', 'transpose']
    assert_same(g, f)


def test_reindexing_read_outside_is_materialised():
    """A transpose that is also a graph output gets a group of its own."""
    g = Graph()
    x = g.input((3, 5), 'float32')
    tt = g.add('transpose', [x], axes=(1, 0))
    e = g.add('exp', [tt])
    g.set_outputs([e, tt])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion', 'fusion']
    assert_same(g, f)


@pytest.mark.parametrize('dtype', FLOATS)
def test_softmax_max_and_sum_in_different_groups(dtype):
    g = Graph()
    x = g.input((7, 13), dtype)
    m = g.add('max', [x], axes=(1,), keepdims=True)
    e = g.add('exp', [g.add('sub', [x, m])])
    s = g.add('sum', [e], axes=(1,), keepdims=True)
    y = g.add('div', [e, s])
    g.set_outputs([y])
    f = fused(g)
    assert all(n.op == 'fusion' for n in f.nodes)
    bs = bodies(f)
    # a reduction's result is complete only after its loop: max cannot feed sum in one group
    assert not any({'max', 'sum'} <= set(ops(b)) for b in bs)
    # the elementwise work sits with the reductions: no group of its own for sub/exp
    assert any(ops(b) == ['exp', 'sub', 'sum'] for b in bs)
    assert 2 <= len(f.nodes) <= 3
    assert_same(g, f)


@pytest.mark.parametrize('dtype', FLOATS)
def test_bias_grad_reduction_with_relu_mask_is_one_pass(dtype):
    """Backward of relu(x W^T + b): gy * (h > 0), and its sum over the batch (the bias
    grad), computed in one loop; the masked grad also feeds the GEMM for gW."""
    g = Graph()
    gy = g.input((32, 10), dtype)
    h = g.input((32, 10), dtype)
    x = g.input((32, 7), dtype)
    zero = g.add('fill', [], shape=(), value=0.0, dtype=dtype)
    mask = g.add('cast', [g.add('gt', [h, zero])], dtype=dtype)
    gh = g.add('mul', [gy, mask])
    gb = g.add('sum', [gh], axes=(0,), keepdims=False)
    gw = g.add('matmul', [gh, x], transa=True, transb=False)
    g.set_outputs([gw, gb])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion', 'matmul']
    (b,) = bodies(f)
    assert ops(b) == ['cast', 'fill', 'gt', 'mul', 'sum']
    assert len(f.nodes[0].outputs) == 2  # the masked grad (for the GEMM) and the bias grad
    assert_same(g, f)


def test_multiple_outputs():
    """Every value of a group that is used outside it is an output of the fusion node."""
    g = Graph()
    x = g.input((5, 3), 'float64')
    a = g.add('exp', [x])
    b = g.add('log1p', [a])
    c = g.add('mul', [a, b])
    d = g.add('sum', [c], axes=(1,))
    g.set_outputs([c, a, d, b])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion']
    assert len(f.nodes[0].outputs) == 4
    assert_same(g, f)


def test_diamond_through_matmul_stays_split():
    """exp -> matmul -> add(exp, matmul): merging add into exp's group would make a cycle
    (the group would need the GEMM's result, which needs the group)."""
    g = Graph()
    x = g.input((4, 4), 'float32')
    w = g.input((4, 4), 'float32')
    e = g.add('exp', [x])
    m = g.add('matmul', [e, w])
    y = g.add('add', [e, m])
    g.set_outputs([y])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion', 'matmul', 'fusion']
    first, second = bodies(f)
    assert ops(first) == ['exp'] and ops(second) == ['add']
    assert_same(g, f)


def test_diamond_of_elementwise():
    g = Graph()
    x = g.input((6,), 'float32')
    a = g.add('exp', [x])
    b = g.add('cos', [a])
    c = g.add('sin', [a])
    y = g.add('add', [b, c])
    g.set_outputs([y])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion']
    assert_same(g, f)


def test_siblings_on_one_input():
    """sin(x) and exp(x) both read only the input x and start groups of their own; add,
    reading both, joins them into one loop."""
    g = Graph()
    x = g.input((6,), 'float32')
    a = g.add('exp', [x])
    b = g.add('sin', [x])
    c = g.add('cos', [a])
    y = g.add('add', [b, c])
    g.set_outputs([y])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion']
    assert ops(bodies(f)[0]) == ['add', 'cos', 'exp', 'sin']
    assert_same(g, f)


@pytest.mark.parametrize('dtype', FLOATS)
def test_momentum_update_is_one_pass(dtype):
    """MomentumSGD traces ``v * momentum`` and ``lr * g`` as two groups; the update that
    reads both merges them: one loop over the parameter, ``lr * g`` never stored."""
    g = Graph()
    p = g.input((5, 7), dtype)
    v = g.input((5, 7), dtype)
    w = g.input((7, 5), dtype)
    x = g.input((7, 7), dtype)
    lr = g.input((), dtype)
    mom = g.input((), dtype)
    grad = g.add('matmul', [w, x], transa=True, transb=False)
    vm = g.add('mul', [v, mom])
    step = g.add('mul', [lr, grad])
    v_new = g.add('sub', [vm, step])
    g.set_outputs([g.add('add', [p, v_new]), v_new, grad])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['matmul', 'fusion']
    assert ops(bodies(f)[0]) == ['add', 'mul', 'mul', 'sub']
    assert len(f.nodes[1].outputs) == 2
    assert_same(g, f)


def test_groups_are_not_merged_across_a_matmul():
    """a = exp(x) and b = matmul(a, w) + 1: add(a, b) reads both groups, but a feeds the
    GEMM that b's group reads, so one loop for both would need its own output first."""
    g = Graph()
    x = g.input((4, 4), 'float64')
    w = g.input((4, 4), 'float64')
    one = g.add('fill', [], shape=(), value=1.0, dtype='float64')
    a = g.add('exp', [x])
    b = g.add('add', [g.add('matmul', [a, w]), one])
    y = g.add('add', [a, b])
    g.set_outputs([y])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion', 'matmul', 'fusion']
    assert_same(g, f)


def test_group_with_a_reduction_tail_is_not_merged():
    """A group whose loop reduces iterates differently: a node reading its values and
    another group's does not merge the two."""
    g = Graph()
    x = g.input((3, 5), 'float32')
    y = g.input((3, 5), 'float32')
    e = g.add('exp', [x])
    s = g.add('sum', [e], axes=(1,), keepdims=False)
    t = g.add('tanh', [y])
    z = g.add('mul', [t, e])
    g.set_outputs([z, s])
    f = fused(g)
    assert len(f.nodes) == 2
    assert not any('sum' in ops(b) and 'tanh' in ops(b) for b in bodies(f))
    assert_same(g, f)


def test_reduction_result_not_read_in_its_own_group():
    """A group's reduction tail is complete only after the loop; its readers go elsewhere."""
    g = Graph()
    x = g.input((3, 5), 'float32')
    e = g.add('exp', [x])
    s = g.add('sum', [e], axes=(0, 1), keepdims=False)
    y = g.add('mul', [e, s])
    g.set_outputs([y])
    f = fused(g)
    assert len(f.nodes) == 2
    for b in bodies(f):
        sums = [n.outputs[0].id for n in b.nodes if n.op == 'sum']
        assert not any(v.id in sums for n in b.nodes for v in n.inputs)
    assert_same(g, f)


def test_different_shapes_make_different_groups():
    g = Graph()
    x = g.input((3, 5), 'float32')
    y = g.input((5,), 'float32')
    a = g.add('exp', [y])          # over (5,)
    b = g.add('mul', [x, a])       # over (3, 5)
    g.set_outputs([b])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion', 'fusion']
    assert_same(g, f)


def test_lone_nodes_wrapped_so_backends_see_few_ops():
    """After fuse, elementwise/reduction/fill/re-indexing nodes only appear in bodies."""
    g = Graph()
    x = g.input((3, 5), 'float32')
    w = g.input((5, 2), 'float32')
    idx = g.input((2,), 'int32')
    s = g.add('max', [x], axes=(1,))
    t = g.add('transpose', [x], axes=(1, 0))
    m = g.add('matmul', [x, w])
    r = g.add('reshape', [m], shape=(6,))
    k = g.add('take', [x, idx], axis=0)
    i = g.add('iota', [], shape=(2, 2), axis=0, dtype='float32')
    g.set_outputs([s, t, r, k, i])
    f = fused(g)
    assert sorted(n.op for n in f.nodes) == ['fusion', 'fusion', 'fusion', 'matmul', 'reshape',
                                             'take']
    assert_same(g, f)


def test_fuse_is_deterministic():
    def make():
        g = Graph()
        x = g.input((7, 13), 'float32')
        m = g.add('max', [x], axes=(1,), keepdims=True)
        e = g.add('exp', [g.add('sub', [x, m])])
        g.set_outputs([g.add('div', [e, g.add('sum', [e], axes=(1,), keepdims=True)])])
        return g
    assert fuse(make()).to_text() == fuse(make()).to_text()


def test_groups_that_grow_cannot_feed_each_other():
    """Group A = {maximum, neg, maximum(., B's value)} comes to read group B (which keeps
    a reduction tail, so it is not merged into A); then B must not take a node reading A's
    value, though that value was made before A read B (a regression: dependencies were
    frozen when a value was made -> a cycle)."""
    g = Graph()
    x0 = g.input((6,), 'float64')
    x1 = g.input((6,), 'float64')
    m = g.add('maximum', [x0, x1])            # A
    s = g.add('sin', [g.add('tanh', [x0])])   # B
    r = g.add('sum', [s], axes=(0,))          # B's tail
    a = g.add('maximum', [g.add('neg', [m]), g.add('neg', [s])])  # A, reading B
    b = g.add('maximum', [s, m])              # reads A and B: cannot be in B, joins A
    g.set_outputs([a, b, r])
    f = fused(g)
    assert len(f.nodes) == 2
    assert_same(g, f)


# ---------------------------------------------------------------- reads: pad, concat, reshape
def _im2col_graph(n, c, h, w, dtype):
    """The IR of tracegrad's im2col for a 3x3 window, stride 1, padding 1: pad, nine strided
    windows, each reshaped to a new axis, concatenated, then reshaped for the GEMM."""
    g = Graph()
    x = g.input((n, c, h, w), dtype)
    k = g.input((5, c * 9), dtype)
    padded = g.add('pad', [x], pad_width=((0, 0), (0, 0), (1, 1), (1, 1)), value=0.0)
    windows = []
    for i in range(3):
        for j in range(3):
            win = g.add('slice', [padded], begin=(0, 0, i, j), end=(n, c, i + h, j + w),
                        step=(1, 1, 1, 1))
            windows.append(g.add('reshape', [win], shape=(n, c, 1, h, w)))
    col = g.add('concat', windows, axis=2)                           # (n, c, 9, h, w)
    col = g.add('reshape', [col], shape=(n, c * 9, h * w))
    out = g.add('matmul', [g.add('broadcast_to', [k], shape=(n, 5, c * 9)), col])
    g.set_outputs([out])
    return g


@pytest.mark.parametrize('dtype', FLOATS)
def test_im2col_is_one_loop(dtype):
    g = _im2col_graph(2, 3, 5, 4, dtype)
    f = fused(g)
    assert sorted(n.op for n in f.nodes) == ['fusion', 'fusion', 'matmul', 'reshape']
    gather = [b for b in bodies(f) if 'concat' in ops(b)]
    assert len(gather) == 1 and {'pad', 'slice', 'concat'} <= set(ops(gather[0]))
    assert [n.inputs[0].shape for n in f.nodes if n.op == 'fusion' and
            'concat' in ops(parse(n.attrs['body']))] == [(2, 3, 5, 4)]  # reads x itself
    assert_same(g, f)


@pytest.mark.parametrize('dtype', FLOATS)
def test_padded_windows_summed_are_one_loop(dtype):
    """col2im: windows of the columns padded back into place and summed, in one loop."""
    g = Graph()
    col = g.input((2, 3, 3, 3, 4, 4), dtype)
    total = None
    for i in range(3):
        for j in range(3):
            piece = g.add('slice', [col], begin=(0, 0, i, j, 0, 0), end=(2, 3, i + 1, j + 1, 4, 4),
                          step=(1,) * 6)
            piece = g.add('reshape', [piece], shape=(2, 3, 4, 4))
            piece = g.add('pad', [piece], pad_width=((0, 0), (0, 0), (i, 2 - i), (j, 2 - j)),
                          value=0.0)
            total = piece if total is None else g.add('add', [total, piece])
    g.set_outputs([total])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion']
    assert [v.id for v in f.nodes[0].inputs] == [col.id]
    assert_same(g, f)


def test_concat_of_computed_arrays_stays_a_copy():
    g = Graph()
    a = g.input((3, 4), 'float32')
    b = g.input((3, 2), 'float32')
    c = g.add('concat', [g.add('exp', [a]), g.add('neg', [b])], axis=1)
    r = g.add('reshape', [c], shape=(18,))
    g.set_outputs([r])
    f = fused(g)
    assert sorted(n.op for n in f.nodes) == ['concat', 'fusion', 'fusion', 'reshape']
    assert_same(g, f)


def test_pad_read_outside_is_materialised_and_reads_stay_in_range():
    """A pad that is a graph output gets a loop of its own; a pad of a slice read by an
    elementwise node becomes a read of the slice's source inside that node's loop."""
    g = Graph()
    x = g.input((4, 5), 'float64')
    p = g.add('pad', [x], pad_width=((2, 0), (1, 3)), value=-1.5)
    s = g.add('slice', [x], begin=(1, 0), end=(3, 5), step=(1, 2))  # (2, 3)
    q = g.add('pad', [s], pad_width=((1, 1), (0, 2)), value=0.0)   # (4, 5)
    y = g.add('mul', [g.add('exp', [q]), x])
    g.set_outputs([p, y])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion', 'fusion']
    assert_same(g, f)


def test_reshape_of_a_read_maps_indices_by_runs_of_axes():
    """Merging or splitting axes maps an index through its own run of axes, never through
    the whole array's flat offset (which nests divisions the compiler cannot undo)."""
    from codegen.backends.loops import reshape_groups

    assert reshape_groups((64, 16, 9, 14, 14), (64, 144, 196)) == [
        ([0], [0]), ([1, 2], [1]), ([3, 4], [2])]
    assert reshape_groups((2, 1, 6), (2, 3, 1, 2)) == [([0], [0]), ([2], [1, 3])]
    assert reshape_groups((1, 5), (5, 1)) == [([1], [0])]
    from codegen.backends import c as cbackend

    source, _ = cbackend.render_source(fuse(_im2col_graph(2, 3, 5, 4, 'float32')))
    assert '/ 60' not in source and '% 60' not in source  # 60 = 3 * 5 * 4: a flat offset


@pytest.mark.parametrize('dtype', FLOATS)
def test_reads_through_reshapes_that_merge_and_split_axes(dtype):
    """exp of a padded array reshaped with axes merged, split and regrouped: each is read
    through the run of axes it belongs to, inside the exp's loop."""
    g = Graph()
    x = g.input((2, 3, 4), dtype)
    p = g.add('pad', [x], pad_width=((0, 0), (1, 0), (0, 2)), value=0.5)   # (2, 4, 6)
    merged = g.add('reshape', [p], shape=(2, 24))
    split = g.add('reshape', [p], shape=(2, 4, 2, 3))
    regrouped = g.add('reshape', [p], shape=(6, 8))
    g.set_outputs([g.add('exp', [merged]), g.add('neg', [split]), g.add('tanh', [regrouped])])
    f = fused(g)
    assert [n.op for n in f.nodes] == ['fusion'] * 3
    assert all(n.inputs[0].id == x.id for n in f.nodes)  # each reads x itself
    assert_same(g, f)
