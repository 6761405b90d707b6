"""Eager-mode speed of tracegrad, side by side with NumPy (and PyTorch/Chainer if installed).

Run (from the repository root; unset OpenBLAS overrides for this command only):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benchmarks/eager.py

Prints a Markdown table: per-op overhead in microseconds beyond the bare NumPy call,
and milliseconds per MLP training step (Linear+ReLU layers, softmax cross-entropy,
plain SGD) against a hand-written NumPy forward/backward of the same network.
Numbers are medians of several repeats; compare ratios from one run only.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import timeit

import numpy as np

sys.path.insert(0, '.')
import tracegrad
import tracegrad.functions as F
from tracegrad import _native


def alternating(fns, number: int, repeat: int) -> list[list[float]]:
    """Seconds per call of each function in ``fns``, ``repeat`` rounds of ``number``
    calls, the functions taking turns within each round so that they share the
    machine's changes of load."""
    times: list = [[] for _ in fns]
    for _ in range(repeat):
        for ts, fn in zip(times, fns):
            ts.append(timeit.timeit(fn, number=number) / number)
    return times


# ---------------------------------------------------------------- per-op overhead
def paired(ours, bare, number: int, repeat: int) -> tuple[float, float, float]:
    """Median seconds per call of ``ours`` and ``bare``, and the median of their
    per-round difference."""
    ours()
    bare()
    t_ours, t_bare = alternating((ours, bare), number, repeat)
    return (statistics.median(t_ours), statistics.median(t_bare),
            statistics.median(a - b for a, b in zip(t_ours, t_bare)))


def op_overhead(repeat: int) -> list[tuple[str, float, float, float]]:
    x_np = np.random.uniform(-1, 1, 10).astype(np.float32)
    x = tracegrad.Variable(x_np)
    n = 20000
    rows = [('F.relu (graph built)', *paired(lambda: F.relu(x), lambda: np.maximum(x_np, 0),
                                             n, repeat)),
            ('x + x (graph built)', *paired(lambda: x + x, lambda: x_np + x_np, n, repeat))]
    with tracegrad.no_backprop_mode():
        rows.append(('F.relu (no_backprop_mode)',
                     *paired(lambda: F.relu(x), lambda: np.maximum(x_np, 0), n, repeat)))

    def relu_fwd_bwd():
        y = F.relu(x)
        y.grad = x_np
        y.backward()
        x.cleargrad()

    def numpy_fwd_bwd():
        y = np.maximum(x_np, 0)
        return (y > 0) * x_np

    rows.append(('F.relu forward+backward', *paired(relu_fwd_bwd, numpy_fwd_bwd, n // 4,
                                                    repeat)))
    if _native.ENABLED:  # the same ops on the pure-Python hot path, for comparison
        with _native.implementation('python'):
            rows.append(('F.relu (graph built), Python hot path',
                         *paired(lambda: F.relu(x), lambda: np.maximum(x_np, 0), n, repeat)))
            rows.append(('F.relu forward+backward, Python hot path',
                         *paired(relu_fwd_bwd, numpy_fwd_bwd, n // 4, repeat)))
    return rows


# ---------------------------------------------------------------- MLP steps
def make_data(batch: int, sizes: tuple, seed: int = 0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, (batch, sizes[0])).astype(np.float32)
    t = rng.randint(0, sizes[-1], batch).astype(np.int32)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.normal(0, np.sqrt(1 / n_in), (n_out, n_in)).astype(np.float32),
                       np.zeros(n_out, np.float32)))
    return x, t, params


def _chainer_api_step(lib, functions, x, t, params, lr):
    """The SGD step written against Chainer's API; ``lib`` is tracegrad or chainer."""
    ws = [(lib.Parameter(W.copy()), lib.Parameter(b.copy())) for W, b in params]

    def step():
        h = x
        for i, (W, b) in enumerate(ws):
            h = functions.linear(h, W, b)
            if i < len(ws) - 1:
                h = functions.relu(h)
        loss = functions.softmax_cross_entropy(h, t)
        for W, b in ws:
            W.cleargrad()
            b.cleargrad()
        loss.backward()
        for W, b in ws:
            W.array -= lr * W.grad
            b.array -= lr * b.grad
        return loss

    return step


def tracegrad_step(x, t, params, lr=0.01):
    return _chainer_api_step(tracegrad, F, tracegrad.Variable(x, requires_grad=False), t,
                             params, lr)


def numpy_step(x, t, params, lr=0.01):
    """Hand-written forward/backward with preallocated buffers."""
    ws = [(W.copy(), b.copy()) for W, b in params]
    batch = x.shape[0]
    hs = [np.empty((batch, W.shape[0]), np.float32) for W, _ in ws]
    gWs = [np.empty_like(W) for W, _ in ws]
    rows = np.arange(batch)

    def step():
        h = x
        acts = [x]
        for i, (W, b) in enumerate(ws):
            out = hs[i]
            np.matmul(h, W.T, out=out)
            out += b
            if i < len(ws) - 1:
                np.maximum(out, 0, out=out)
            h = out
            acts.append(h)
        z = h - h.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = np.log(s[:, 0]).mean() - z[rows, t].mean()
        g = e / s
        g[rows, t] -= 1
        g /= batch
        for i in range(len(ws) - 1, -1, -1):
            W, b = ws[i]
            gb = g.sum(axis=0)
            np.matmul(g.T, acts[i], out=gWs[i])
            if i > 0:
                g = g @ W
                g *= acts[i] > 0
            W -= lr * gWs[i]
            b -= lr * gb
        return loss

    return step


def torch_step(x, t, params, lr=0.01):
    import torch

    torch.set_num_threads(2)
    ws = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
          for W, b in params]
    xt = torch.from_numpy(x)
    tt = torch.from_numpy(t.astype(np.int64))

    def step():
        h = xt
        for i, (W, b) in enumerate(ws):
            h = torch.nn.functional.linear(h, W, b)
            if i < len(ws) - 1:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, tt)
        for W, b in ws:
            W.grad = None
            b.grad = None
        loss.backward()
        with torch.no_grad():
            for W, b in ws:
                W -= lr * W.grad
                b -= lr * b.grad
        return loss

    return step


def tracegrad_python_step(x, t, params, lr=0.01):
    """tracegrad's step on its pure-Python hot path (what runs where the C module
    tracegrad._speedups could not be built); switching costs ~1 µs per step."""
    if not _native.ENABLED:
        raise RuntimeError('the C hot path is not built, so the other column is this one')
    step = tracegrad_step(x, t, params, lr)

    def python_step():
        with _native.implementation('python'):
            return step()

    return python_step


def chainer_step(x, t, params, lr=0.01):
    import chainer
    import chainer.functions as CF

    return _chainer_api_step(chainer, CF, x, t, params, lr)


def check_same_math(x, t, params) -> None:
    """tracegrad's step and the NumPy step must compute the same update."""
    a, b = tracegrad_step(x, t, params), numpy_step(x, t, params)
    la, lb = float(a().array), float(b())
    if not np.isclose(la, lb, rtol=1e-4):
        raise SystemExit(f'tracegrad and NumPy steps disagree: loss {la} vs {lb}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()

    print('## Eager overhead per op (10-element float32 input)\n')
    print('| op | tracegrad µs | NumPy µs | overhead µs (median of paired rounds) |')
    print('|---|---|---|---|')
    for name, t_ours, t_np, overhead in op_overhead(max(args.repeat, 15)):
        print(f'| {name} | {t_ours * 1e6:.2f} | {t_np * 1e6:.2f} | {overhead * 1e6:.2f} |')

    configs = [('B32 784-100-100-10', 32, (784, 100, 100, 10), 25),
               ('B100 784-1000-1000-10', 100, (784, 1000, 1000, 10), 2)]
    columns = [('NumPy by hand', numpy_step), ('tracegrad eager', tracegrad_step),
               ('tracegrad, Python hot path', tracegrad_python_step),
               ('PyTorch eager', torch_step), ('Chainer eager', chainer_step)]
    print(f'\nC hot path (tracegrad._speedups): {"on" if _native.ENABLED else "not built"}')
    print('\n## MLP training step, ms (median), ratio to hand-written NumPy '
          '(tracegrad: median of per-round ratios)\n')
    print('| step | ' + ' | '.join(name for name, _ in columns) + ' |')
    print('|---|' + '---|' * len(columns))
    for label, batch, sizes, number in configs:
        x, t, params = make_data(batch, sizes)
        check_same_math(x, t, params)
        steps, cells = {}, {}
        for name, make in columns:
            try:
                steps[name] = make(x, t, params)
            except Exception as e:  # not installed or not importable here
                cells[name] = f'n/a ({type(e).__name__})'
        for step in steps.values():  # warm up: first calls allocate and fill caches
            for _ in range(3):
                step()
        # NumPy and tracegrad alternate round by round, so a change of machine load
        # hits both alike; the ratio is taken within each round, then the median.
        # Other frameworks run afterwards on their own: PyTorch's OpenMP threads keep
        # spinning after a step and would slow whatever ran next.
        ours = [name for name in ('NumPy by hand', 'tracegrad eager',
                                  'tracegrad, Python hot path') if name in steps]
        rounds = 4 * args.repeat
        times = dict(zip(ours, alternating([steps[name] for name in ours], number, rounds)))
        for name, step in steps.items():
            if name not in ours:
                times[name], = alternating([step], number, rounds)
        base = times['NumPy by hand']
        for name, ts in times.items():
            if name in ours:
                ratio = statistics.median(a / b for a, b in zip(ts, base))
            else:
                ratio = statistics.median(ts) / statistics.median(base)
            cells[name] = f'{statistics.median(ts) * 1e3:.3f} ({ratio:.2f}x)'
        print(f'| {label} | ' + ' | '.join(cells[name] for name, _ in columns) + ' |')


if __name__ == '__main__':
    main()
