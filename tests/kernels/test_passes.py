"""The optimisation passes: CSE, constant folding, simplification, matmul flags, optimize().

Each pass is checked on hand-built graphs for the exact structure it leaves, and
with the reference interpreter for the same outputs before and after (float32
and float64); then the pipeline on graphs traced from real training steps, and
on random graphs from hypothesis.
"""
import copy
import doctest

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codegen.passes
from codegen import Graph, IRError, interpreter, parse
from codegen.backends import get_backend
from codegen.passes import (
    batch_matmul,
    cse,
    dce,
    fold,
    matmul_flags,
    matmul_sum,
    optimize,
    simplify,
)
from codegen.passes.cse import node_key
from codegen.passes.fold import MAX_CONSTANT_SIZE

FLOATS = [np.float32, np.float64]


# ---------------------------------------------------------------- helpers
def random_inputs(graph: Graph, seed: int = 0) -> list:
    rng = np.random.RandomState(seed)
    arrays = []
    for v in graph.inputs:
        kind = np.dtype(v.dtype).kind
        if kind == 'f':
            arrays.append(rng.uniform(-2, 2, v.shape).astype(v.dtype))
        elif kind == 'b':
            arrays.append(rng.uniform(size=v.shape) > 0.5)
        else:
            arrays.append(rng.randint(-3, 4, v.shape).astype(v.dtype))
    return arrays


def apply(graph_pass, graph: Graph) -> tuple:
    """(before, after): ``graph_pass`` on a copy, then DCE; the result is valid and
    computes what the original does (same dtypes, shapes and values)."""
    before = graph
    after = dce(graph_pass(parse(before.to_text())))
    after.validate()
    assert [v.id for v in after.inputs] == [v.id for v in before.inputs]
    assert len(after.outputs) == len(before.outputs)
    assert_same_results(before, after)
    return before, after


def assert_same_results(before: Graph, after: Graph, seeds=(0, 1), exact=True) -> None:
    for seed in seeds:
        inputs = random_inputs(before, seed)
        with np.errstate(all='ignore'):
            expected = interpreter.run(before, [a.copy() for a in inputs])
            got = interpreter.run(after, [a.copy() for a in inputs])
        for e, g in zip(expected, got):
            assert (g.dtype, g.shape) == (e.dtype, e.shape)
            if exact:
                np.testing.assert_array_equal(g, e)
            else:
                tol = 1e-5 if e.dtype == np.float32 else 1e-12
                np.testing.assert_allclose(g, e, rtol=tol, atol=tol)


def ops(graph: Graph) -> list:
    return [n.op for n in graph.nodes]


def fill(g: Graph, value, dtype, shape=()):
    return g.add('fill', [], shape=shape, value=value, dtype=np.dtype(dtype).name)


def assert_idempotent(graph_pass, graph: Graph) -> None:
    once = dce(graph_pass(parse(graph.to_text()))).to_text()
    assert dce(graph_pass(parse(once))).to_text() == once
    # deterministic: the text is a cache key
    assert dce(graph_pass(parse(graph.to_text()))).to_text() == once


@pytest.mark.parametrize('module', ['cse', 'fold', 'simplify', 'matmul_flags', 'rewrite',
                                    'batch_matmul', 'matmul_sum'])
def test_docstring_examples(module):
    mod = __import__(f'codegen.passes.{module}', fromlist=['_'])
    result = doctest.testmod(mod)
    assert result.failed == 0


# ---------------------------------------------------------------- CSE
@pytest.mark.parametrize('dtype', FLOATS)
def test_cse_merges_identical_nodes_and_remaps_outputs(dtype):
    g = Graph()
    x = g.input((2, 3), dtype)
    a, b = g.add('exp', [x]), g.add('exp', [x])
    sa = g.add('sum', [a], axes=(1,))
    sb = g.add('sum', [b], axes=(1,))
    g.set_outputs([g.add('add', [sa, sb]), a, b])
    _, after = apply(cse, g)
    assert ops(after) == ['exp', 'sum', 'add']
    assert after.outputs[1] is after.outputs[2] is after.nodes[0].outputs[0]
    add = after.nodes[2]
    assert add.inputs[0] is add.inputs[1]
    assert_idempotent(cse, g)


@pytest.mark.parametrize('dtype', FLOATS)
def test_cse_commutative_operands(dtype):
    g = Graph()
    x, y = g.input((3,), dtype), g.input((3,), dtype)
    outs = [g.add('add', [x, y]), g.add('add', [y, x]), g.add('mul', [x, y]),
            g.add('mul', [y, x]), g.add('sub', [x, y]), g.add('sub', [y, x]),
            g.add('maximum', [x, y]), g.add('maximum', [y, x])]
    g.set_outputs(outs)
    _, after = apply(cse, g)
    # sub is not commutative; maximum keeps its operand order (NaN, signed zeros)
    assert ops(after) == ['add', 'mul', 'sub', 'sub', 'maximum', 'maximum']


def test_cse_keeps_nodes_that_differ():
    g = Graph()
    x, y = g.input((2, 3), 'float32', 'x'), g.input((2, 3), 'float32', 'noise')
    outs = [g.add('exp', [x]), g.add('exp', [y]),  # equal types, different inputs
            g.add('sum', [x], axes=(0,)), g.add('sum', [x], axes=(1,)),
            g.add('sum', [x], axes=(1,), keepdims=True),
            fill(g, 0.0, 'float32'), fill(g, -0.0, 'float32'), fill(g, 0.0, 'float64'),
            g.add('cast', [x], dtype='float64'), g.add('cast', [x], dtype='float16')]
    g.set_outputs(outs)
    _, after = apply(cse, g)
    assert len(after.nodes) == len(outs)
    assert len({node_key(n) for n in after.nodes}) == len(outs)


def test_cse_merges_literals_and_chains():
    g = Graph()
    x = g.input((3,), 'float64')
    one_a, one_b = fill(g, 1.0, 'float64'), fill(g, 1.0, 'float64')
    a = g.add('tanh', [g.add('add', [x, one_a])])
    b = g.add('tanh', [g.add('add', [x, one_b])])
    g.set_outputs([g.add('div', [a, b])])
    _, after = apply(cse, g)
    assert ops(after) == ['fill', 'add', 'tanh', 'div']


# ---------------------------------------------------------------- constant folding
def test_fold_cast_of_fill():
    g = Graph()
    t = g.input((4,), 'int32')
    minus_one = fill(g, -1, 'int64')
    g.set_outputs([g.add('ne', [t, g.add('cast', [minus_one], dtype='int32')])])
    _, after = apply(fold, g)
    assert ops(after) == ['fill', 'ne']
    assert after.nodes[0].attrs == {'shape': (), 'value': -1, 'dtype': 'int32'}


@pytest.mark.parametrize('dtype', FLOATS)
def test_fold_arithmetic_on_fills(dtype):
    g = Graph()
    x = g.input((2, 3), dtype)
    lr = g.add('mul', [fill(g, 0.1, 'float64'), fill(g, 3, 'float64')])
    scale = g.add('sqrt', [g.add('cast', [lr], dtype=np.dtype(dtype).name)])
    g.set_outputs([g.add('mul', [x, scale])])
    _, after = apply(fold, g)
    assert ops(after) == ['fill', 'mul']
    expected = np.sqrt(np.asarray(0.1 * 3.0).astype(dtype))
    assert after.nodes[0].attrs['value'] == expected.item()
    assert after.nodes[0].attrs['dtype'] == np.dtype(dtype).name


def test_fold_keeps_float32_rounding():
    g = Graph()
    g.set_outputs([g.add('cast', [fill(g, 0.1, 'float64')], dtype='float32')])
    _, after = apply(fold, g)
    assert after.nodes[0].attrs['value'] == float(np.float32(0.1))


def test_fold_large_uniform_results_stay_fills():
    g = Graph()
    x = g.input((64, 128), 'float32')
    big = g.add('broadcast_to', [fill(g, 2.0, 'float32')], shape=(64, 128))
    e = g.add('exp', [big])
    moved = g.add('reshape', [g.add('transpose', [e], axes=(1, 0))], shape=(8192,))
    g.set_outputs([g.add('mul', [x, e]), moved])
    _, after = apply(fold, g)
    assert ops(after) == ['fill', 'fill', 'mul']
    assert after.nodes[0].attrs['shape'] == (64, 128)
    assert after.nodes[1].attrs['shape'] == (8192,)
    assert after.nodes[1].attrs['value'] == float(np.exp(np.float32(2.0)))


def test_fold_small_constants():
    g = Graph()
    x = g.input((2, 3), 'int32')
    iota = g.add('constant', [], shape=(3,), value=(0, 1, 2), dtype='int32')
    row = g.add('reshape', [iota], shape=(1, 3))
    shifted = g.add('add', [row, fill(g, 1, 'int32')])
    total = g.add('sum', [shifted], axes=(1,), keepdims=False)
    g.set_outputs([g.add('eq', [x, shifted]), total])
    _, after = apply(fold, g)
    assert ops(after) == ['constant', 'fill', 'eq']
    assert after.nodes[0].attrs['value'] == (1, 2, 3)
    assert after.nodes[0].attrs['shape'] == (1, 3)
    assert after.nodes[1].attrs == {'shape': (1,), 'value': 6, 'dtype': 'int32'}


def test_fold_uniform_constant_becomes_fill_but_signed_zeros_do_not():
    g = Graph()
    same = g.add('constant', [], shape=(2,), value=(2.5, 2.5), dtype='float32')
    zeros = g.add('constant', [], shape=(2,), value=(0.0, -0.0), dtype='float32')
    g.set_outputs([same, g.add('div', [same, zeros])])
    _, after = apply(fold, g)
    assert ops(after) == ['fill', 'constant', 'div']  # 2.5 / +-0 is infinite: not folded
    assert after.nodes[0].attrs == {'shape': (2,), 'value': 2.5, 'dtype': 'float32'}


def test_fold_does_not_blow_up_or_fold_inputs_or_non_finite_values():
    g = Graph()
    x = g.input((3,), 'float32')
    ramp = g.add('constant', [], shape=(MAX_CONSTANT_SIZE,),
                 value=tuple(float(i) for i in range(MAX_CONSTANT_SIZE)), dtype='float32')
    wide = g.add('broadcast_to', [ramp], shape=(2, MAX_CONSTANT_SIZE))  # too big to spell
    small = g.add('exp', [g.add('slice', [ramp], begin=(0,), end=(3,), step=(1,))])
    outs = [g.add('sum', [wide], axes=(0,)),
            g.add('add', [x, fill(g, 1.0, 'float32')]),  # an input: nothing to fold
            g.add('log', [fill(g, -1.0, 'float32')]),  # NaN
            g.add('div', [fill(g, 1.0, 'float32'), fill(g, 0.0, 'float32')]),  # inf
            g.add('mul', [x, small])]
    g.set_outputs(outs)
    _, after = apply(fold, g)
    assert ops(after) == ['constant', 'broadcast_to', 'constant', 'sum', 'fill', 'add', 'fill',
                          'log', 'fill', 'fill', 'div', 'mul']
    assert after.nodes[2].attrs['value'] == tuple(np.exp(np.arange(3, dtype=np.float32)))
    assert_idempotent(fold, g)
    parse(after.to_text())  # what folding makes can be read back


# ---------------------------------------------------------------- simplification
@pytest.mark.parametrize('dtype', FLOATS + [np.int32])
@pytest.mark.parametrize('op,literal,x_first', [
    ('add', 0, True), ('add', 0, False), ('sub', 0, True), ('mul', 1, True),
    ('mul', 1, False), ('div', 1, True)])
def test_simplify_identity_elements(dtype, op, literal, x_first):
    if op == 'div' and dtype == np.int32:
        return
    g = Graph()
    x = g.input((2, 3), dtype)
    c = fill(g, literal, dtype)
    g.set_outputs([g.add(op, [x, c] if x_first else [c, x])])
    _, after = apply(simplify, g)
    assert after.nodes == [] and after.outputs == [after.inputs[0]]


@pytest.mark.parametrize('dtype', FLOATS)
def test_simplify_leaves_what_is_not_an_identity(dtype):
    g = Graph()
    x = g.input((2, 3), dtype)
    row = g.input((3,), dtype)
    zero, one, two = fill(g, 0, dtype), fill(g, 1, dtype), fill(g, 2, dtype)
    ones = fill(g, 1, dtype, (2, 3))
    outs = [g.add('mul', [x, zero]),  # NaN * 0 is NaN
            g.add('sub', [zero, x]),  # -0.0 semantics differ from neg
            g.add('div', [one, x]), g.add('add', [x, one]), g.add('mul', [x, two]),
            g.add('mul', [row, ones]),  # the identity would change the shape
            g.add('pow', [x, two])]
    g.set_outputs(outs)
    _, after = apply(simplify, g)
    assert ops(after).count('fill') == 4 and len(after.nodes) == 4 + len(outs)
    assert_idempotent(simplify, g)


@pytest.mark.parametrize('dtype', FLOATS)
def test_simplify_negations(dtype):
    g = Graph()
    x, y = g.input((2, 3), dtype), g.input((3,), dtype)
    neg_y = g.add('neg', [y])
    outs = [g.add('neg', [g.add('neg', [x])]),
            g.add('neg', [g.add('neg', [g.add('neg', [x])])]),
            g.add('sub', [x, neg_y]), g.add('add', [x, neg_y]), g.add('add', [neg_y, x])]
    g.set_outputs(outs)
    _, after = apply(simplify, g)
    assert after.outputs[0] is after.inputs[0]
    assert ops(after) == ['neg', 'add', 'sub', 'sub']
    assert [v.id for v in after.nodes[1].inputs] == [x.id, y.id]
    assert [v.id for v in after.nodes[3].inputs] == [x.id, y.id]


def test_simplify_where_of_one_value():
    g = Graph()
    c, x, y = g.input((2, 3), 'bool'), g.input((2, 3), 'float32'), g.input((2, 3), 'float32')
    wide_c = g.input((4, 2, 3), 'bool')
    g.set_outputs([g.add('where', [c, x, x]), g.add('where', [c, x, y]),
                   g.add('where', [wide_c, x, x])])
    _, after = apply(simplify, g)
    assert after.outputs[0] is after.inputs[1]
    assert ops(after) == ['where', 'where']  # the shape of the last one is not x's


def test_simplify_casts():
    g = Graph()
    x32, x64, i = g.input((3,), 'float32'), g.input((3,), 'float64'), g.input((3,), 'int32')
    outs = [g.add('cast', [x32], dtype='float32'),
            g.add('cast', [g.add('cast', [x32], dtype='float64')], dtype='float32'),
            g.add('cast', [g.add('cast', [i], dtype='float64')], dtype='int32'),
            g.add('cast', [g.add('cast', [x64], dtype='float32')], dtype='float64'),  # lossy
            g.add('cast', [g.add('cast', [i], dtype='float32')], dtype='int32')]  # lossy
    g.set_outputs(outs)
    _, after = apply(simplify, g)
    assert [v.id for v in after.outputs[:3]] == [x32.id, x32.id, i.id]
    assert ops(after) == ['cast'] * 4


@pytest.mark.parametrize('dtype', FLOATS)
def test_simplify_layout_chains(dtype):
    g = Graph()
    x = g.input((2, 3, 4), dtype)
    t = g.add('transpose', [x], axes=(1, 2, 0))
    outs = [g.add('transpose', [t], axes=(2, 0, 1)),  # undoes t
            g.add('transpose', [t], axes=(0, 2, 1)),  # one transpose of x
            g.add('transpose', [x], axes=(0, 1, 2)),
            g.add('reshape', [g.add('reshape', [x], shape=(6, 4))], shape=(4, 6)),
            g.add('reshape', [g.add('reshape', [x], shape=(24,))], shape=(2, 3, 4)),
            g.add('reshape', [x], shape=(2, 3, 4)),
            g.add('broadcast_to', [x], shape=(2, 3, 4)),
            g.add('broadcast_to', [g.add('broadcast_to', [x], shape=(1, 2, 3, 4))],
                  shape=(5, 2, 3, 4)),
            g.add('slice', [x], begin=(0, 0, 0), end=(2, 3, 4), step=(1, 1, 1)),
            g.add('slice', [x], begin=(0, 0, 0), end=(2, 3, 4), step=(1, 1, 2))]
    g.set_outputs(outs)
    _, after = apply(simplify, g)
    assert [o.id for i, o in enumerate(after.outputs) if o.id == x.id] == [x.id] * 6
    assert ops(after) == ['transpose', 'reshape', 'broadcast_to', 'slice']
    assert after.nodes[0].attrs['axes'] == (1, 0, 2)
    assert [n.inputs[0].id for n in after.nodes] == [x.id] * 4
    assert_idempotent(simplify, g)


# ---------------------------------------------------------------- matmul flags
@pytest.mark.parametrize('dtype', FLOATS)
def test_matmul_flags_absorb_last_two_axes_transposes(dtype):
    g = Graph()
    x, w = g.input((4, 5), dtype), g.input((7, 5), dtype)
    gy = g.input((4, 7), dtype)
    y = g.add('matmul', [x, g.add('transpose', [w], axes=(1, 0))])
    gw = g.add('matmul', [g.add('transpose', [gy], axes=(1, 0)), x])
    both = g.add('matmul', [g.add('transpose', [x], axes=(1, 0)),
                            g.add('transpose', [gy], axes=(1, 0))], transb=True)
    g.set_outputs([y, gw, both])
    _, after = apply(matmul_flags, g)
    assert ops(after) == ['matmul'] * 3
    flags = [(n.attrs['transa'], n.attrs['transb'], [v.id for v in n.inputs])
             for n in after.nodes]
    assert flags == [(False, True, [x.id, w.id]), (True, False, [gy.id, x.id]),
                     (True, False, [x.id, gy.id])]
    assert_idempotent(matmul_flags, g)


def test_matmul_flags_batched_and_negative_cases():
    g = Graph()
    a, b = g.input((2, 5, 4), 'float64'), g.input((2, 5, 3), 'float64')
    c = g.input((5, 2, 3), 'float64')
    ta = g.add('transpose', [a], axes=(0, 2, 1))
    batched = g.add('matmul', [ta, b])
    other_axes = g.add('matmul', [ta, g.add('transpose', [c], axes=(1, 0, 2))])
    g.set_outputs([batched, other_axes, ta])  # ta has another user: it stays
    _, after = apply(matmul_flags, g)
    assert ops(after) == ['transpose', 'matmul', 'transpose', 'matmul']
    assert after.nodes[1].attrs['transa'] and after.nodes[1].inputs[0] is after.inputs[0]
    assert after.nodes[3].inputs[1].producer.attrs['axes'] == (1, 0, 2)
    assert after.nodes[3].attrs == {'transa': True, 'transb': False}


# ---------------------------------------------------------------- the pipeline
def test_optimize_is_a_plain_list_of_passes():
    assert codegen.passes.PIPELINE[-1] is dce
    assert set(codegen.passes.PIPELINE) >= {cse, fold, simplify, matmul_flags}


def test_optimize_combines_the_passes():
    g = Graph()
    x, w = g.input((4, 5), 'float32'), g.input((7, 5), 'float32')
    zero64 = fill(g, 0.0, 'float64')
    relu_a = g.add('maximum', [g.add('matmul', [x, g.add('transpose', [w], axes=(1, 0))]),
                               g.add('cast', [zero64], dtype='float32')])
    relu_b = g.add('maximum', [g.add('matmul', [x, g.add('transpose', [w], axes=(1, 0))]),
                               g.add('cast', [zero64], dtype='float32')])
    one = g.add('cast', [fill(g, 1, 'int64')], dtype='float32')
    g.set_outputs([g.add('mul', [one, relu_a]), relu_b])
    before = parse(g.to_text())
    after = optimize(g)
    after.validate()
    assert ops(after) == ['matmul', 'fill', 'maximum']
    assert after.outputs[0] is after.outputs[1]
    assert_same_results(before, after, exact=False)
    assert optimize(parse(after.to_text())).to_text() == after.to_text()


# ---------------------------------------------------------------- traced training steps
def _traced_step(kind: str, optimizer: str, hook: bool, monkeypatch):
    """Compile a training step (reference backend); returns (step, eager twin, graphs seen
    by optimize() before and after, data)."""
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L
    from tracegrad import optimizer_hooks, optimizers
    from tracegrad.testing import training_step

    class MLP(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1, self.l2 = L.Linear(5, 7), L.Linear(7, 3)

        def forward(self, x):
            return self.l2(F.relu(self.l1(x)))

    class CNN(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                # no bias before batch normalization: its gradient would be rounding
                # noise, which Adam scales up to steps of alpha whatever their sign
                self.conv = L.Convolution2D(1, 2, 3, pad=1, nobias=True)
                self.bn = L.BatchNormalization(2)
                self.fc = L.Linear(2 * 3 * 3, 3)

        def forward(self, x):
            h = F.max_pooling_2d(F.relu(self.bn(self.conv(x))), 2)
            return self.fc(F.dropout(h, 0.3))

    seen = []
    real_optimize = codegen.passes.optimize

    def recording_optimize(graph):
        raw = parse(graph.to_text())
        result = real_optimize(graph)
        seen.append((raw, result))
        return result

    monkeypatch.setattr(codegen.passes, 'optimize', recording_optimize)
    np.random.seed(0)
    model = L.Classifier(MLP() if kind == 'mlp' else CNN())
    opt = getattr(optimizers, optimizer)().setup(model)
    if hook:
        opt.add_hook(optimizer_hooks.WeightDecay(1e-3))
    twin_model, twin_opt = copy.deepcopy((model, opt))

    shape = (4, 5) if kind == 'mlp' else (2, 1, 6, 6)
    x = np.random.randn(*shape).astype(np.float32)
    t = np.random.randint(0, 3, shape[0]).astype(np.int32)
    compiled = tracegrad.compile(training_step(model, opt), backend='reference')
    return compiled, training_step(twin_model, twin_opt), model, twin_model, seen, (x, t)


@pytest.mark.parametrize('kind,optimizer,hook', [
    ('mlp', 'SGD', False), ('mlp', 'Adam', False), ('mlp', 'MomentumSGD', True),
    ('cnn', 'Adam', True)])
def test_optimize_traced_training_steps(kind, optimizer, hook, monkeypatch):
    compiled, eager, model, twin_model, seen, (x, t) = _traced_step(kind, optimizer, hook,
                                                                    monkeypatch)
    for _ in range(3):
        state = np.random.get_state()
        loss = compiled(x, t)
        np.random.set_state(state)  # the same dropout mask for the eager twin
        expected = eager(x, t)
        np.testing.assert_allclose(loss.array, expected.array, rtol=1e-5, atol=1e-6)
    for (name, p), (_, q) in zip(sorted(model.namedparams()), sorted(twin_model.namedparams())):
        np.testing.assert_allclose(p.array, q.array, rtol=1e-5, atol=1e-6, err_msg=name)

    assert seen, 'tracegrad.compile did not call codegen.passes.optimize'
    raw, optimized = seen[0]
    optimized.validate()
    # The tracer's own output has become leaner over time (the MLP/SGD step traces to 83
    # nodes, it was 92), so the share optimize() removes varies; what matters is that it
    # removes something and leaves nothing its rules would still rewrite (below).
    assert len(optimized.nodes) < len(raw.nodes)
    for node in optimized.nodes:
        if node.op == 'cast':
            assert node.attrs['dtype'] != node.inputs[0].dtype, 'a cast to the same dtype'
        if node.op in ('reshape', 'broadcast_to'):
            assert node.outputs[0].shape != node.inputs[0].shape, f'an identity {node.op}'
    keys = [node_key(n) for n in optimized.nodes]
    assert len(keys) == len(set(keys)), 'CSE left duplicates'
    for node in optimized.nodes:
        if node.op == 'matmul':
            assert all(v.producer is None or v.producer.op != 'transpose' or
                       v.producer.attrs['axes'][-2:] != (v.ndim - 1, v.ndim - 2)
                       for v in node.inputs)
        if node.op == 'cast':
            assert node.inputs[0].producer is None or node.inputs[0].producer.op != 'fill'
    text = optimized.to_text()
    assert optimize(parse(text)).to_text() == text
    assert_same_results(raw, optimized, seeds=(0,), exact=False)


# ---------------------------------------------------------------- batch_matmul
@pytest.mark.parametrize('dtype', FLOATS)
@pytest.mark.parametrize('shared', ['left', 'right'])
@pytest.mark.parametrize('transa', [False, True])
@pytest.mark.parametrize('transb', [False, True])
def test_batch_matmul_with_a_shared_operand_is_one_gemm(dtype, shared, transa, transb):
    """A weight shared by every batch (a convolution's): one 2-D matmul, same products,
    in the interpreter and in the C program."""
    m, k, n, batch = 4, 3, 5, (6, 1)
    a_shape = (k, m) if transa else (m, k)
    b_shape = (n, k) if transb else (k, n)
    g = Graph()
    a = g.input(((1,) if shared == 'left' else batch) + a_shape, dtype)
    b = g.input((batch if shared == 'left' else (1,)) + b_shape, dtype)
    g.set_outputs([g.add('exp', [g.add('matmul', [a, b], transa=transa, transb=transb)])])
    out = dce(batch_matmul(parse(g.to_text())))
    (mm,) = [node for node in out.nodes if node.op == 'matmul']
    assert mm.outputs[0].ndim == 2 and mm.outputs[0].shape[0] * mm.outputs[0].shape[1] == 6 * m * n
    assert_same_results(g, out, exact=False)  # (BLAS may sum in another order)
    assert_idempotent(batch_matmul, g)
    prog = get_backend('c').build(parse(out.to_text()))
    assert prog.stats['blas_calls'] == 1
    xs = random_inputs(g)
    tol = {'rtol': 1e-5, 'atol': 1e-6} if dtype == np.float32 else {'rtol': 1e-12}
    np.testing.assert_allclose(prog(xs)[0], interpreter.run(g, xs)[0], **tol)


@pytest.mark.parametrize('a_batch,b_batch', [((2, 1), (1, 3)), ((3,), (2, 1)), ((2, 1), (2, 3))])
def test_batch_matmul_broadcasts_partly_broadcast_batches(a_batch, b_batch):
    """Batch axes that broadcast partly (a grouped convolution's weight against a batch of
    images) are broadcast in full first, which BLAS strides can express."""
    g = Graph()
    a = g.input(a_batch + (4, 3), 'float64')
    b = g.input(b_batch + (3, 5), 'float64')
    g.set_outputs([g.add('matmul', [a, b])])
    out = dce(batch_matmul(parse(g.to_text())))
    assert 'broadcast_to' in ops(out)
    assert_same_results(g, out, exact=False)
    assert_idempotent(batch_matmul, g)
    prog = get_backend('c').build(optimize(parse(g.to_text())))
    xs = random_inputs(g)
    np.testing.assert_allclose(prog(xs)[0], interpreter.run(g, xs)[0], rtol=1e-12)


# ---------------------------------------------------------------- matmul_sum
def product(g: Graph, dtype, k: int, transa: bool, transb: bool, m: int = 4, n: int = 3):
    """A matmul of two fresh inputs whose product is (m, n), contracting over ``k``."""
    a = g.input((k, m) if transa else (m, k), dtype)
    b = g.input((n, k) if transb else (k, n), dtype)
    return g.add('matmul', [a, b], transa=transa, transb=transb)


@pytest.mark.parametrize('dtype', FLOATS)
@pytest.mark.parametrize('transa', [False, True])
@pytest.mark.parametrize('transb', [False, True])
def test_matmul_sum_is_one_product_of_concatenated_operands(dtype, transa, transb):
    """An RNN weight's gradient: one product per time step, summed (with a bias-like term
    in the middle of the sum): one matmul over the steps' operands laid end to end."""
    g = Graph()
    c = g.input((4, 3), dtype)
    p1, p2, p3 = (product(g, dtype, k, transa, transb) for k in (2, 5, 1))
    total = g.add('add', [g.add('add', [g.add('add', [p1, c]), p2]), p3])
    g.set_outputs([g.add('exp', [total])])
    after = dce(matmul_sum(parse(g.to_text())))
    after.validate()
    assert ops(after).count('matmul') == 1 and ops(after).count('concat') == 2
    (mm,) = [node for node in after.nodes if node.op == 'matmul']
    assert (mm.attrs['transa'], mm.attrs['transb']) == (transa, transb)
    assert mm.inputs[0].shape == ((8, 4) if transa else (4, 8))
    assert_same_results(g, after, exact=False)   # (one sum in another order)
    assert_idempotent(matmul_sum, g)
    prog = get_backend('c').build(optimize(parse(g.to_text())))
    assert prog.stats['blas_calls'] == 1
    xs = random_inputs(g)
    tol = {'rtol': 1e-5} if dtype == np.float32 else {'rtol': 1e-12}
    np.testing.assert_allclose(prog(xs)[0], interpreter.run(g, xs)[0], **tol)


def test_matmul_sum_groups_by_flags_and_leaves_what_it_cannot_merge():
    g = Graph()
    dt = 'float64'
    shared = product(g, dt, 2, True, False)          # also read elsewhere: stays
    partial = g.add('add', [product(g, dt, 3, True, False), product(g, dt, 2, True, False)])
    flat = [product(g, dt, 4, False, True), product(g, dt, 1, False, True)]
    a3, b3 = g.input((2, 4, 5), dt), g.input((2, 5, 3), dt)
    batched = g.add('sum', [g.add('matmul', [a3, b3])], axes=(0,), keepdims=False)
    total = g.add('add', [g.add('add', [partial, flat[0]]), shared])
    total = g.add('add', [g.add('add', [total, flat[1]]), batched])
    g.set_outputs([total, g.add('exp', [shared]), g.add('neg', [partial])])
    after = dce(matmul_sum(parse(g.to_text())))
    after.validate()
    # the partial sum is an output of its own: its two products merge there, and the
    # flat pair merges in the outer sum; the shared product and the batched one stay
    mms = sorted((n.inputs[0].shape, n.attrs['transa']) for n in after.nodes if n.op == 'matmul')
    assert mms == [((2, 4), True), ((2, 4, 5), False), ((4, 5), False), ((5, 4), True)]
    assert_same_results(g, after, exact=False)
    assert_idempotent(matmul_sum, g)


def test_matmul_sum_leaves_products_with_a_long_contraction():
    """Beyond MAX_K, accumulating GEMM by GEMM is faster than one GEMM over copies."""
    from codegen.passes.matmul_sum import MAX_K

    g = Graph()
    long = [product(g, 'float32', MAX_K + 1, True, False) for _ in range(2)]
    short = [product(g, 'float32', MAX_K, True, False) for _ in range(2)]
    total = g.add('add', [g.add('add', [g.add('add', [long[0], short[0]]), long[1]]), short[1]])
    g.set_outputs([total])
    after = dce(matmul_sum(parse(g.to_text())))
    ks = sorted(n.inputs[0].shape[0] for n in after.nodes if n.op == 'matmul')
    assert ks == [MAX_K + 1, MAX_K + 1, 2 * MAX_K]
    assert_same_results(g, after, exact=False)


def test_matmul_sum_in_a_compiled_rnn_step_is_one_gemm_per_weight():
    """A Linear applied at each of 6 steps: 6 forward GEMMs and one for its weight's
    gradient (the inputs need none; the state is added, not multiplied)."""
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L

    np.random.seed(0)
    layer = L.Linear(5, 5)

    @tracegrad.compile
    def step(xs):
        h, loss = 0, 0
        for t in range(xs.shape[0]):
            h = F.tanh(layer(xs[t]) + h)
            loss = loss + F.sum(h * h)
        layer.cleargrads()
        loss.backward()
        return loss

    xs = np.random.uniform(-1, 1, (6, 3, 5)).astype(np.float32)
    step(xs)
    compiled_grad = layer.W.grad.copy()
    assert step.statistics()['blas_calls'] == 6 + 1   # forward, and gW (6 before the pass)
    step.__wrapped__(xs)
    np.testing.assert_allclose(compiled_grad, layer.W.grad, rtol=1e-5, atol=1e-6)


def test_batch_matmul_leaves_other_matmuls():
    """Both operands batched, a single batch, or a 2-D matmul: nothing to fold."""
    g = Graph()
    a = g.input((3, 4, 5), 'float32')
    b = g.input((3, 5, 2), 'float32')
    c = g.input((1, 4, 5), 'float32')
    d = g.input((1, 5, 2), 'float32')
    e = g.input((4, 5), 'float32')
    f = g.input((5, 2), 'float32')
    g.set_outputs([g.add('matmul', [a, b]), g.add('matmul', [c, d]), g.add('matmul', [e, f])])
    assert batch_matmul(parse(g.to_text())).to_text() == g.to_text()


# ---------------------------------------------------------------- random graphs
_SHAPES = [(2, 3), (3,), (1, 3), (2, 1), ()]


@st.composite
def random_graphs(draw):
    dtype = draw(st.sampled_from(['float32', 'float64']))
    g = Graph()
    values = [g.input((2, 3), dtype), g.input((3,), dtype)]

    def pick(pred=lambda v: True):  # the inputs always qualify
        return draw(st.sampled_from([v for v in values if v.dtype == dtype and pred(v)]))

    for _ in range(draw(st.integers(3, 14))):
        kind = draw(st.sampled_from(['unary', 'binary', 'literal', 'where', 'cast', 'reduce',
                                     'matmul', 'layout', 'repeat']))
        try:
            if kind == 'unary':
                v = g.add(draw(st.sampled_from(['neg', 'exp', 'tanh', 'abs'])), [pick()])
            elif kind == 'binary':
                v = g.add(draw(st.sampled_from(['add', 'sub', 'mul', 'div', 'maximum'])),
                          [pick(), pick()])
            elif kind == 'literal':
                value = draw(st.sampled_from([0.0, 1.0, -1.0, 2.0, 0.5]))
                source = draw(st.sampled_from(['float64', dtype, 'int64']))
                v = fill(g, int(value) if source == 'int64' else value, source,
                         draw(st.sampled_from(_SHAPES)))
                if source != dtype:
                    v = g.add('cast', [v], dtype=dtype)
            elif kind == 'where':
                a, b = pick(), pick()
                v = g.add('where', [g.add('gt', [a, b]), a, draw(st.sampled_from([a, b]))])
            elif kind == 'cast':
                other = 'float64' if dtype == 'float32' else 'float32'
                v = g.add('cast', [g.add('cast', [pick()], dtype=other)], dtype=dtype)
            elif kind == 'reduce':
                x = pick(lambda v: v.ndim > 0)
                v = g.add(draw(st.sampled_from(['sum', 'max'])), [x],
                          axes=(draw(st.integers(0, x.ndim - 1)),), keepdims=draw(st.booleans()))
            elif kind == 'matmul':
                a = pick(lambda v: v.shape == (2, 3))
                b = g.add('transpose', [a], axes=(1, 0))
                if draw(st.booleans()):
                    a, b = b, a
                v = g.add('matmul', [a, b])
                if draw(st.booleans()):
                    v = g.add('transpose', [v], axes=(1, 0))
            elif kind == 'layout':
                x = pick(lambda v: v.size == 6)
                op = draw(st.sampled_from(['reshape', 'transpose', 'broadcast_to', 'neg']))
                if op == 'reshape':
                    v = g.add('reshape', [g.add('reshape', [x], shape=(6,))],
                              shape=draw(st.sampled_from([(3, 2), (2, 3), (6,)])))
                elif op == 'transpose':
                    v = g.add('transpose', [g.add('transpose', [x], axes=(1, 0))],
                              axes=(1, 0)) if x.ndim == 2 else x
                elif op == 'broadcast_to':
                    v = g.add('broadcast_to', [x], shape=(2,) + x.shape)
                else:
                    v = g.add('sub', [x, g.add('neg', [x])])
            elif g.nodes:  # the same node again, for CSE
                node = draw(st.sampled_from(g.nodes))
                v = g.add(node.op, node.inputs, **node.attrs)
            else:
                continue
        except IRError:  # operands whose shapes do not fit: draw again
            continue
        values.append(v)
    used = {v.id for node in g.nodes for v in node.inputs}
    g.set_outputs([v for v in values[2:] if v.id not in used] + [values[0]])
    return g


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_optimize_preserves_random_graphs(graph):
    graph.validate()
    before = parse(graph.to_text())
    after = optimize(graph)
    after.validate()
    assert [v.id for v in after.inputs] == [v.id for v in before.inputs]
    assert len(after.nodes) <= len(before.nodes)
    assert_same_results(before, after, seeds=(0,), exact=False)
    text = after.to_text()
    assert parse(text).to_text() == text
    assert optimize(parse(text)).to_text() == text
