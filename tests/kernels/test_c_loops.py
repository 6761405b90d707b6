"""How the C backend shapes a fusion's loops after its body.

A loop that a reshape splits into digits runs as one loop per digit (no division in
the body), and a loop along which a concat is read runs as one loop per piece (no
per-element choice of piece). Each case checks the loops in the generated source and
the values against NumPy, in float32 and float64.
"""
import re

import numpy as np
import pytest

from codegen import Graph, parse
from codegen.backends import c as cbackend
from codegen.passes.fuse import fuse

FLOATS = ['float32', 'float64']


def run(graph: Graph, xs):
    """(outputs of the C program, source of its fusion kernels)."""
    prog = cbackend.build(parse(graph.to_text()))
    with open(prog.source_path) as f:
        source = f.read()
    return prog(xs), source[:source.index('int tg_run(')]


def kernels(source: str) -> list:
    """The fusion kernels' texts, each from its comment to its end."""
    return [part for part in re.split(r'\n(?=/\* fusion of)', source)
            if part.startswith('/* fusion of')]


def loop_lines(text: str) -> list:
    return [line.strip() for line in text.splitlines() if line.strip().startswith('for (')]


def im2col_graph(shape, dtype, k=3, pad=1):
    """A stride-1 convolution's columns as tracing writes them: pad, k*k windows, concat
    on a new axis beside the channels, merge axes and move the batch: [C*k*k, N, H*W]."""
    n, c, h, w = shape
    g = Graph()
    x = g.input(shape, dtype)
    p = g.add('pad', [x], pad_width=((0, 0), (0, 0), (pad, pad), (pad, pad)), value=0.0)
    hp, wp = h + 2 * pad, w + 2 * pad
    oh, ow = hp - k + 1, wp - k + 1
    windows = []
    for dy in range(k):
        for dx in range(k):
            s = g.add('slice', [p], begin=(0, 0, dy, dx), end=(n, c, dy + oh, dx + ow),
                      step=(1, 1, 1, 1))
            windows.append(g.add('reshape', [s], shape=(n, c, 1, oh, ow)))
    cat = g.add('reshape', [g.add('concat', windows, axis=2)], shape=(n, c * k * k, oh * ow))
    g.set_outputs([g.add('transpose', [cat], axes=(1, 0, 2))])
    return g


def im2col_numpy(x, k=3, pad=1):
    n, c, h, w = x.shape
    p = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    cols = np.stack([p[:, :, dy:dy + oh, dx:dx + ow] for dy in range(k) for dx in range(k)], 2)
    return cols.reshape(n, c * k * k, oh * ow).transpose(1, 0, 2)


@pytest.mark.parametrize('dtype', FLOATS)
@pytest.mark.parametrize('shape,k,pad', [((2, 3, 5, 7), 3, 1), ((1, 1, 9, 4), 3, 1),
                                         ((3, 2, 6, 6), 5, 2), ((2, 2, 4, 5), 2, 0)])
def test_im2col_loops_split_by_digit_and_by_window(dtype, shape, k, pad):
    g = im2col_graph(shape, dtype, k, pad)
    assert [n.op for n in fuse(parse(g.to_text())).nodes] == ['fusion']
    x = np.random.RandomState(0).uniform(-1, 1, shape).astype(dtype)
    (got,), source = run(g, [x])
    np.testing.assert_array_equal(got, im2col_numpy(x, k, pad))
    (text,) = kernels(source)
    body = text[text.index('{'):]
    # one loop nest per window, each reading its window directly ...
    window = 'i0_1' if shape[1] > 1 else 'i0'   # the channel and window loops, or windows
    assert f'split at {window} = {list(range(1, k * k))}' in text
    assert len([line for line in loop_lines(text)
                if line.startswith(f'for (long {window} =')]) == k * k
    # ... and rows and columns as loops of their own: no division or remainder left
    assert '/' not in body.replace('/*', '').replace('*/', '') and '%' not in body


@pytest.mark.parametrize('dtype', FLOATS)
def test_digits_spanning_several_loop_factors(dtype):
    """One read splits an axis of 12 as (3, 4), another as (3, 2, 2) (each a transpose
    flattened): the loop runs as three of (3, 2, 2), and the first read's last digit is
    two of them."""
    g = Graph()
    a = g.input((4, 3), dtype)
    b = g.input((2, 2, 3), dtype)
    ra = g.add('reshape', [g.add('transpose', [a], axes=(1, 0))], shape=(12,))
    rb = g.add('reshape', [g.add('transpose', [b], axes=(2, 0, 1))], shape=(12,))
    g.set_outputs([g.add('exp', [g.add('add', [ra, rb])])])
    rng = np.random.RandomState(1)
    xs = [rng.uniform(-1, 1, v.shape).astype(dtype) for v in g.inputs]
    (got,), source = run(g, xs)
    want = np.exp(xs[0].T.reshape(12) + xs[1].transpose(2, 0, 1).reshape(12))
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == 'float32' else 1e-14)
    assert [line.split(';')[0] for line in loop_lines(source)] == \
        ['for (long i0_0 = 0', 'for (long i0_1 = 0', 'for (long i0_2 = 0']
    assert '(i0_1 * 2 + i0_2)' in source


@pytest.mark.parametrize('dtype', FLOATS)
def test_digits_that_do_not_nest_keep_the_division(dtype):
    """Splits of 12 as (3, 4) and as (4, 3) have no common loop factors."""
    g = Graph()
    a = g.input((4, 3), dtype)
    b = g.input((3, 4), dtype)
    ra = g.add('reshape', [g.add('transpose', [a], axes=(1, 0))], shape=(12,))
    rb = g.add('reshape', [g.add('transpose', [b], axes=(1, 0))], shape=(12,))
    g.set_outputs([g.add('mul', [ra, rb])])
    rng = np.random.RandomState(2)
    xs = [rng.uniform(-1, 1, v.shape).astype(dtype) for v in g.inputs]
    (got,), source = run(g, xs)
    np.testing.assert_array_equal(got, xs[0].T.reshape(12) * xs[1].T.reshape(12))
    assert loop_lines(source) == ['for (long i0 = 0; i0 < 12; ++i0) {']


def concat_graph(dtype, sizes, axis, other):
    """A concat along ``axis`` of inputs read transposed (so the fusion takes the concat
    in), pieces ``sizes`` long, the other axis ``other``: (graph, inputs, concat)."""
    g = Graph()
    xs = [g.input((other, n) if axis == 0 else (n, other), dtype) for n in sizes]
    pieces = [g.add('transpose', [x], axes=(1, 0)) for x in xs]
    return g, xs, g.add('concat', pieces, axis=axis)


def concat_numpy(xs, axis):
    return np.concatenate([x.T for x in xs], axis)


@pytest.mark.parametrize('dtype', FLOATS)
def test_concat_guarded_by_a_pad_beyond_its_pieces(dtype):
    """Two concats read along one loop, one of them inside a pad that goes past its
    end: the loop's last piece reaches none of the first concat's pieces, whose read is
    guarded there (and never happens)."""
    g = Graph()
    a, b, c, d = (g.input((n + 1,), dtype) for n in (3, 2, 6, 2))
    tails = [g.add('slice', [v], begin=(1,), end=(v.shape[0],), step=(1,)) for v in (a, b, c, d)]
    first = g.add('pad', [g.add('concat', tails[:2], axis=0)], pad_width=((0, 3),), value=0.5)
    second = g.add('concat', tails[2:], axis=0)
    g.set_outputs([g.add('mul', [first, second])])
    rng = np.random.RandomState(3)
    xs = [rng.uniform(-1, 1, n + 1).astype(dtype) for n in (3, 2, 6, 2)]
    (got,), source = run(g, xs)
    want = np.pad(np.concatenate([x[1:] for x in xs[:2]]), (0, 3), constant_values=0.5) \
        * np.concatenate([x[1:] for x in xs[2:]])
    np.testing.assert_array_equal(got, want)
    assert 'split at i0 = [3, 6]' in source


@pytest.mark.parametrize('dtype', FLOATS)
@pytest.mark.parametrize('cat_axis,sum_axis', [(0, 1), (1, 1), (1, 0), (0, 0)])
def test_concat_and_reduction_in_one_loop(dtype, cat_axis, sum_axis):
    """A sum of a concat: the loop along the concat is split unless it is the reduced
    loop of a sum over the last axis (whose accumulator spans the pieces)."""
    g, inputs, cat = concat_graph(dtype, (2, 3, 1), cat_axis, 5)
    y = g.add('sum', [g.add('exp', [cat])], axes=(sum_axis,), keepdims=False)
    g.set_outputs([y])
    rng = np.random.RandomState(4)
    xs = [rng.uniform(-1, 1, v.shape).astype(dtype) for v in inputs]
    (got,), source = run(g, xs)
    want = np.exp(concat_numpy(xs, cat_axis)).sum(sum_axis)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == 'float32' else 1e-13)
    split = 'split at' in source
    assert split == (cat_axis != sum_axis or sum_axis != 1)


def test_concat_of_many_pieces_is_not_split():
    g, inputs, cat = concat_graph('float32', (1,) * (cbackend.MAX_SEGMENTS + 1), 0, 4)
    g.set_outputs([g.add('exp', [cat])])
    vals = [np.full(v.shape, k / 100, np.float32) for k, v in enumerate(inputs)]
    (got,), source = run(g, vals)
    np.testing.assert_allclose(got, np.exp(concat_numpy(vals, 0)), rtol=1e-6)
    assert 'split at' not in source


def test_cnn_training_step_has_no_index_division():
    """A compiled CNN step (the benchmark's: 3x3 convolutions, 2x2 max pooling): every
    im2col runs one loop nest per window, and no loop divides an index."""
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L
    from tracegrad import optimizers
    from tracegrad.testing import training_step

    class CNN(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.c1 = L.Convolution2D(1, 4, ksize=3, pad=1)
                self.c2 = L.Convolution2D(4, 6, ksize=3, pad=1)
                self.fc = L.Linear(6 * 3 * 3, 5)

        def forward(self, x):
            h = F.max_pooling_2d(F.relu(self.c1(x)), 2)
            return self.fc(F.max_pooling_2d(F.relu(self.c2(h)), 2))

    np.random.seed(0)
    model = L.Classifier(CNN())
    step = tracegrad.compile(training_step(model, optimizers.MomentumSGD(0.01).setup(model)),
                             backend='c')
    x = np.random.uniform(size=(3, 1, 12, 12)).astype(np.float32)
    step(x, np.array([0, 4, 2], np.int32))
    source = step.source
    # the forward im2col of each convolution and the one its weight gradient reads
    assert len(re.findall(r'split at i\d+(?:_\d+)? = \[1, 2, 3, 4, 5, 6, 7, 8\]', source)) \
        >= 2
    assert re.findall(r'[/%] \d+(?![.\d])', source.split('int tg_run(')[0]) == []


def shifted_sum_graph(dtype, n: int, shifts, pad: int):
    """sum over s in ``shifts`` of x padded by ``pad`` on both sides, read ``s`` cells on
    (a 1-D col2im): y[i] = sum_s xpad[i + pad + s], over rows of x (3, n)."""
    g = Graph()
    x = g.input((3, n + 1), dtype)
    x = g.add('slice', [x], begin=(0, 1), end=(3, n + 1), step=(1, 1))  # a read, not an input
    p = g.add('pad', [x], pad_width=((0, 0), (pad, pad)), value=0.0)
    total = None
    for s in shifts:
        w = g.add('slice', [p], begin=(0, pad + s), end=(3, pad + s + n), step=(1, 1))
        total = w if total is None else g.add('add', [total, w])
    return g, total


def shifted_sum_numpy(x, shifts, pad):
    x = x[:, 1:]
    n = x.shape[1]
    p = np.pad(x, ((0, 0), (pad, pad)))
    return sum(p[:, pad + s:pad + s + n] for s in shifts)


@pytest.mark.parametrize('dtype', FLOATS)
def test_innermost_loop_cut_where_padded_reads_start_and_stop(dtype):
    g, y = shifted_sum_graph(dtype, 10, (-2, 0, 1), 2)
    g.set_outputs([g.add('mul', [y, y])])
    x = np.random.RandomState(5).uniform(-1, 1, (3, 11)).astype(dtype)
    (got,), source = run(g, [x])
    np.testing.assert_array_equal(got, shifted_sum_numpy(x, (-2, 0, 1), 2) ** 2)
    (text,) = kernels(source)
    # cut at 2 (the read 2 cells back starts) and 9 (the read 1 on stops): no test left
    assert [line.split(';')[0] for line in loop_lines(text)] == [
        'for (long i0 = 0', 'for (long i1 = 0', 'for (long i1 = 2', 'for (long i1 = 9']
    assert '?' not in text


@pytest.mark.parametrize('dtype', FLOATS)
def test_padding_cuts_of_a_summed_loop_share_its_accumulator(dtype):
    g, y = shifted_sum_graph(dtype, 7, (-1, 1), 1)
    g.set_outputs([g.add('sum', [y], axes=(1,), keepdims=False)])
    x = np.random.RandomState(6).uniform(-1, 1, (3, 8)).astype(dtype)
    (got,), source = run(g, [x])
    np.testing.assert_allclose(got, shifted_sum_numpy(x, (-1, 1), 1).sum(1),
                               rtol=1e-6 if dtype == 'float32' else 1e-14)
    assert len([line for line in loop_lines(source) if line.startswith('for (long i1')]) == 3
    assert source.count('acc0 = 0.0') == 1


def test_too_many_padding_cuts_keep_the_tests():
    shifts = tuple(range(-4, 5))   # nine reads, each starting or stopping somewhere else
    g, y = shifted_sum_graph('float64', 20, shifts, 4)
    g.set_outputs([y])
    x = np.random.RandomState(7).uniform(-1, 1, (3, 21))
    (got,), source = run(g, [x])
    np.testing.assert_allclose(got, shifted_sum_numpy(x, shifts, 4), rtol=1e-14)
    assert len([line for line in loop_lines(source) if line.startswith('for (long i1')]) == 1


@pytest.mark.parametrize('index,form', [
    ('i2_1', ('i2_1', 1, 0)), ('((i2_1 + 2) - 1)', ('i2_1', 1, 1)), ('(1 + i3 * 2)', ('i3', 2, 1)),
    ('((i - 1) * 2 + 1)', ('i', 2, -1)), ('(6 + i0 * -1)', ('i0', -1, 6)),
    ('(i / 2)', None), ('(i % 2)', None), ('(i * j)', None), ('(i + j)', None), ('7', None),
    ('(i - i)', None)])
def test_index_expressions_read_as_scale_times_counter_plus_shift(index, form):
    from codegen.backends.loops import _linear
    assert _linear(index) == form


@pytest.mark.parametrize('dtype', FLOATS)
@pytest.mark.parametrize('begin,step,cuts', [(0, 2, [1, 5]), (1, 3, [3]), (10, -1, [1, 10]),
                                              (10, -2, [1, 5])])
def test_strided_and_reversed_padded_reads_are_cut(dtype, begin, step, cuts):
    """Every ``step``-th cell of a row padded by one on each side, from ``begin``."""
    g = Graph()
    x = g.input((3, 9), dtype)
    p = g.add('pad', [g.add('exp', [x])], pad_width=((0, 0), (1, 1)), value=-1.0)
    n = len(range(begin, 11 if step > 0 else -1, step))
    end = begin + step * n
    y = g.add('slice', [p], begin=(0, begin), end=(3, end if end >= 0 else None),
              step=(1, step))
    g.set_outputs([g.add('mul', [y, y])])
    xv = np.random.RandomState(8).uniform(-1, 1, (3, 9)).astype(dtype)
    (got,), source = run(g, [xv])
    want = np.pad(np.exp(xv), ((0, 0), (1, 1)), constant_values=-1.0)[:, begin::step][:, :n]
    np.testing.assert_allclose(got, want ** 2, rtol=1e-6 if dtype == 'float32' else 1e-14)
    reads = kernels(source)[-1]   # (the exp is a kernel of its own)
    starts = [int(line.split('= ')[1].split(';')[0]) for line in loop_lines(reads)
              if line.startswith('for (long i1 =')]
    assert starts == [0, *cuts]
