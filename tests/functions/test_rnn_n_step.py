import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import gradient_check, testing

# kind -> (function, weights per layer and direction, directions, has cell state, activation)
KINDS = {
    'lstm': (F.n_step_lstm, 8, 1, True, None),
    'bilstm': (F.n_step_bilstm, 8, 2, True, None),
    'gru': (F.n_step_gru, 6, 1, False, None),
    'bigru': (F.n_step_bigru, 6, 2, False, None),
    'rnn_tanh': (F.n_step_rnn, 2, 1, False, 'tanh'),
    'rnn_relu': (F.n_step_rnn, 2, 1, False, 'relu'),
    'birnn_tanh': (F.n_step_birnn, 2, 2, False, 'tanh'),
    'birnn_relu': (F.n_step_birnn, 2, 2, False, 'relu'),
}
IN_SIZE, UNITS = 3, 2


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def make_params(kind, n_layers, batches, dtype, seed=0, in_size=IN_SIZE, units=UNITS):
    """(hx, cx or None, xs, ws, bs) as NumPy arrays."""
    _, n_w, dirs, cell, _ = KINDS[kind]
    rng = np.random.RandomState(seed)
    xs = [rng.uniform(-1, 1, (b, in_size)).astype(dtype) for b in batches]
    hx = rng.uniform(-1, 1, (n_layers * dirs, batches[0], units)).astype(dtype)
    cx = rng.uniform(-1, 1, hx.shape).astype(dtype) if cell else None
    ws, bs = [], []
    for layer in range(n_layers):
        for _ in range(dirs):
            w_in = in_size if layer == 0 else units * dirs
            ws.append([rng.uniform(-1, 1, (units, w_in if j < n_w // 2 else units))
                       .astype(dtype) for j in range(n_w)])
            bs.append([rng.uniform(-1, 1, units).astype(dtype) for _ in range(n_w)])
    return hx, cx, xs, ws, bs


def call(kind, n_layers, ratio, hx, cx, ws, bs, xs):
    """The function under test; returns (hy, cy or None, ys)."""
    fn, _, _, cell, act = KINDS[kind]
    if cell:
        return fn(n_layers, ratio, hx, cx, ws, bs, xs)
    kwargs = {} if act is None else {'activation': act}
    hy, ys = fn(n_layers, ratio, hx, ws, bs, xs, **kwargs)
    return hy, None, ys


def _cell_step(kind, x, h, c, w, b):
    """One step of one sequence (vectors), in float64."""
    if kind.endswith('lstm'):
        i = _sigmoid(w[0] @ x + b[0] + w[4] @ h + b[4])
        f = _sigmoid(w[1] @ x + b[1] + w[5] @ h + b[5])
        a = np.tanh(w[2] @ x + b[2] + w[6] @ h + b[6])
        o = _sigmoid(w[3] @ x + b[3] + w[7] @ h + b[7])
        c = f * c + i * a
        return o * np.tanh(c), c
    if kind.endswith('gru'):
        r = _sigmoid(w[0] @ x + b[0] + w[3] @ h + b[3])
        z = _sigmoid(w[1] @ x + b[1] + w[4] @ h + b[4])
        cand = np.tanh(w[2] @ x + b[2] + r * (w[5] @ h + b[5]))
        return (1 - z) * cand + z * h, None
    pre = w[0] @ x + b[0] + w[1] @ h + b[1]
    return (np.tanh(pre) if kind.endswith('tanh') else np.maximum(pre, 0)), None


def reference(kind, n_layers, hx, cx, ws, bs, xs, masks=None):
    """Run each sequence on its own, step by step. ``masks[(layer, d)][t]`` (optional)
    multiplies the input of step ``t`` of layer ``layer`` >= 1, direction ``d``.

    Returns (hy, cy or None, ys) as float64 arrays/lists."""
    dirs = KINDS[kind][2]
    dtype = xs[0].dtype
    batch = xs[0].shape[0]
    f64 = lambda a: np.asarray(a, np.float64)
    hy = np.zeros(hx.shape)
    cy = None if cx is None else np.zeros(hx.shape)
    ys = [np.zeros((x.shape[0], UNITS * dirs)) for x in xs]
    for s in range(batch):
        steps = [t for t in range(len(xs)) if xs[t].shape[0] > s]
        seq = [f64(xs[t][s]) for t in steps]
        for layer in range(n_layers):
            outs = []
            for d in range(dirs):
                idx = layer * dirs + d
                w = [f64(m) for m in ws[idx]]
                b = [f64(v) for v in bs[idx]]
                h = f64(hx[idx, s])
                c = None if cx is None else f64(cx[idx, s])
                out = [None] * len(seq)
                order = range(len(seq)) if d == 0 else reversed(range(len(seq)))
                for t in order:
                    x = seq[t]
                    if masks is not None and layer > 0:
                        x = x * masks[(layer, d)][steps[t]][s]
                    h, c = _cell_step(kind, x, h, c, w, b)
                    out[t] = h
                hy[idx, s] = h
                if cy is not None:
                    cy[idx, s] = c
                outs.append(out)
            seq = [np.concatenate([o[t] for o in outs]) for t in range(len(seq))]
        for t, v in zip(steps, seq):
            ys[t][s] = v
    cast = lambda a: a.astype(dtype)
    return cast(hy), None if cy is None else cast(cy), [cast(y) for y in ys]


def flatten(hx, cx, xs, ws, bs):
    arrays = [hx] + ([] if cx is None else [cx]) + list(xs)
    return tuple(arrays + [w for group in ws for w in group] + [b for group in bs for b in group])


def unflatten(kind, n_layers, n_steps, inputs):
    _, n_w, dirs, cell, _ = KINDS[kind]
    inputs = list(inputs)
    hx = inputs.pop(0)
    cx = inputs.pop(0) if cell else None
    xs, rest = inputs[:n_steps], inputs[n_steps:]
    n = n_layers * dirs * n_w
    ws = [rest[i:i + n_w] for i in range(0, n, n_w)]
    bs = [rest[n + i:n + i + n_w] for i in range(0, n, n_w)]
    return hx, cx, xs, ws, bs


@testing.parameterize(*testing.product({
    'kind': list(KINDS),
    'config': [((3, 2, 2, 1), 2), ((1,), 1), ((1, 1, 1), 2), ((2, 2), 1)],
    'dtype': [np.float32, np.float64],
}))
class TestNStep(testing.FunctionTestCase):
    def setUp(self):
        self.batches, self.n_layers = self.config
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2,
                                                  'dtype': np.float64}
        else:
            self.check_forward_options = {'atol': 1e-12, 'rtol': 1e-10}
            self.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-5}
            self.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-5}

    def generate_inputs(self):
        return flatten(*make_params(self.kind, self.n_layers, self.batches, self.dtype))

    def forward(self, inputs, device):
        hx, cx, xs, ws, bs = unflatten(self.kind, self.n_layers, len(self.batches), inputs)
        hy, cy, ys = call(self.kind, self.n_layers, 0.0, hx, cx, ws, bs, xs)
        assert isinstance(ys, tuple)
        return (hy,) + (() if cy is None else (cy,)) + ys

    def forward_expected(self, inputs):
        hx, cx, xs, ws, bs = unflatten(self.kind, self.n_layers, len(self.batches), inputs)
        hy, cy, ys = reference(self.kind, self.n_layers, hx, cx, ws, bs, xs)
        return (hy,) + (() if cy is None else (cy,)) + tuple(ys)


@pytest.mark.parametrize('kind', list(KINDS))
@pytest.mark.parametrize('train', [True, False])
def test_dropout_masks_follow_chainers_draws(kind, train):
    """In training, layers >= 1 see their inputs dropped with a fresh mask per direction
    (forward first), drawn step by step from NumPy's global state; in test mode, none."""
    n_layers, batches, ratio = 3, (3, 3, 2, 1), 0.4
    hx, cx, xs, ws, bs = make_params(kind, n_layers, batches, np.float64, seed=4)
    dirs = KINDS[kind][2]
    np.random.seed(11)
    masks = {}
    if train:
        for layer in range(1, n_layers):
            for d in range(dirs):
                masks[(layer, d)] = [(np.random.rand(b, UNITS * dirs) >= ratio) / (1 - ratio)
                                     for b in batches]
    after_reference = np.random.rand()
    expected = reference(kind, n_layers, hx, cx, ws, bs, xs, masks if train else None)
    np.random.seed(11)
    with tracegrad.using_config('train', train):
        hy, cy, ys = call(kind, n_layers, ratio, hx, cx, ws, bs, xs)
    assert np.random.rand() == after_reference  # the same number of draws
    np.testing.assert_allclose(hy.array, expected[0], rtol=1e-10, atol=1e-12)
    if cy is not None:
        np.testing.assert_allclose(cy.array, expected[1], rtol=1e-10, atol=1e-12)
    for y, e in zip(ys, expected[2]):
        np.testing.assert_allclose(y.array, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('kind', ['bilstm', 'gru'])
def test_gradient_with_dropout(kind):
    n_layers, batches = 2, (3, 1)
    params = make_params(kind, n_layers, batches, np.float64, seed=5)
    inputs = flatten(*params)
    rng = np.random.RandomState(0)

    def f(*args):
        np.random.seed(2)  # the same masks on every evaluation
        hx, cx, xs, ws, bs = unflatten(kind, n_layers, len(batches), args)
        hy, cy, ys = call(kind, n_layers, 0.5, hx, cx, ws, bs, xs)
        return (hy,) + (() if cy is None else (cy,)) + ys

    outs = f(*inputs)
    gys = tuple(rng.uniform(-1, 1, y.shape) for y in outs)
    gradient_check.check_backward(f, inputs, gys, atol=1e-6, rtol=1e-5, eps=1e-5)


def test_bidirectional_output_is_forward_then_backward():
    # With the backward direction's weights zero, its half of ys is tanh(0) = 0 ...
    hx, _, xs, ws, bs = make_params('birnn_tanh', 1, (2, 1), np.float64)
    hx[1] = 0
    ws[1] = [np.zeros_like(w) for w in ws[1]]
    bs[1] = [np.zeros_like(b) for b in bs[1]]
    hy, ys = F.n_step_birnn(1, 0.0, hx, ws, bs, xs)
    uni_hy, uni_ys = F.n_step_rnn(1, 0.0, hx[:1], ws[:1], bs[:1], xs)
    for y, u in zip(ys, uni_ys):
        np.testing.assert_allclose(y.array[:, :UNITS], u.array)
        np.testing.assert_array_equal(y.array[:, UNITS:], 0)
    np.testing.assert_allclose(hy.array[0], uni_hy.array[0])


def test_backward_direction_final_state_is_at_the_first_step():
    hx, _, xs, ws, bs = make_params('birnn_tanh', 1, (2, 1), np.float64)
    hy, ys = F.n_step_birnn(1, 0.0, hx, ws, bs, xs)
    for s in range(2):
        np.testing.assert_allclose(hy.array[1, s], ys[0].array[s, UNITS:])
    # the forward direction ends at each sequence's last step
    np.testing.assert_allclose(hy.array[0, 0], ys[1].array[0, :UNITS])
    np.testing.assert_allclose(hy.array[0, 1], ys[0].array[1, :UNITS])


def test_inputs_may_be_variables_and_results_are_variables():
    hx, cx, xs, ws, bs = make_params('lstm', 1, (2, 1), np.float32)
    wrap = tracegrad.Variable
    hy, cy, ys = F.n_step_lstm(1, 0.0, wrap(hx), wrap(cx), [[wrap(w) for w in ws[0]]],
                               [[wrap(b) for b in bs[0]]], [wrap(x) for x in xs])
    assert isinstance(hy, tracegrad.Variable) and hy.dtype == np.float32
    assert isinstance(cy, tracegrad.Variable) and cy.shape == (1, 2, UNITS)
    assert [y.shape for y in ys] == [(2, UNITS), (1, UNITS)]


@pytest.mark.parametrize('kind', list(KINDS))
def test_errors_name_the_function(kind):
    fn, _, dirs, cell, _ = KINDS[kind]
    name = fn.__name__
    hx, cx, xs, ws, bs = make_params(kind, 2, (2, 1), np.float32)

    def run(hx=hx, cx=cx, ws=ws, bs=bs, xs=xs, n_layers=2, ratio=0.0):
        call(kind, n_layers, ratio, hx, cx, ws, bs, xs)

    with pytest.raises(TypeError, match=f'{name}: hx must be an array.*got None'):
        run(hx=None)
    if cell:
        with pytest.raises(TypeError, match=f'{name}: cx must be an array.*got None'):
            run(cx=None)
    with pytest.raises(ValueError, match=f'{name}: hx must be'):
        run(hx=hx[:, :1])
    with pytest.raises(ValueError, match=f'{name}: hx must be'):
        run(hx=hx[:1])
    with pytest.raises(ValueError, match=f'{name}: hx must be'):
        run(hx=hx.astype(np.float64))
    if cell:
        with pytest.raises(ValueError, match=f'{name}: cx must be'):
            run(cx=cx[:, :, :1])
    with pytest.raises(ValueError, match=f'{name}: xs must be sorted'):
        run(xs=xs[::-1], hx=hx[:, :1], cx=None if cx is None else cx[:, :1])
    with pytest.raises(ValueError, match=fr'{name}: ws must hold n_layers \* directions'):
        run(ws=ws[:-1])
    with pytest.raises(ValueError, match=fr'{name}: ws\[0\] must hold'):
        run(ws=[ws[0][:-1]] + ws[1:])
    with pytest.raises(ValueError, match=fr'{name}: bs must hold'):
        run(bs=bs + bs[:1])
    with pytest.raises(ValueError,
                       match=fr'{name}: ws\[0\]\[0\] must be \(2, 4\).*got \(2, 3\)'):
        run(xs=[np.ones((2, 4), np.float32), np.ones((1, 4), np.float32)])
    with pytest.raises(ValueError, match=fr'{name}: ws\[{dirs}\]\[1\] must be'):
        run(ws=ws[:dirs] + [[w[:, :1] if j == 1 else w for j, w in enumerate(ws[dirs])]]
            + ws[dirs + 1:])
    with pytest.raises(ValueError, match=f'{name}: xs must be a non-empty'):
        run(xs=[])
    with pytest.raises(ValueError, match=f'{name}: dropout_ratio'):
        run(ratio=1.0)
    with pytest.raises(ValueError, match=f'{name}: the train argument'):
        fn(2, 0.0, hx, cx, ws, bs, xs, train=True) if cell else \
            fn(2, 0.0, hx, ws, bs, xs, train=True)


def test_invalid_activation():
    hx, _, xs, ws, bs = make_params('rnn_tanh', 1, (1,), np.float32)
    with pytest.raises(ValueError, match="n_step_rnn: invalid activation 'sigmoid'"):
        F.n_step_rnn(1, 0.0, hx, ws, bs, xs, activation='sigmoid')
    with pytest.raises(ValueError, match='n_step_birnn: invalid activation'):
        F.n_step_birnn(1, 0.0, np.zeros((2, 1, 2), np.float32), ws + ws, bs + bs, xs,
                       activation='elu')
