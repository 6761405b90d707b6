"""Compiled training steps, side by side with eager tracegrad, NumPy, PyTorch and the GEMM floor.

Run (from the repository root; unset OpenBLAS overrides for this command only):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benchmarks/compile.py

Workload: an MLP classifier training step (Linear+ReLU hidden layers, softmax
cross-entropy, plain SGD lr 0.01, float32), written as a user would:
``loss = model(x, t); model.cleargrads(); loss.backward(); opt.update()``.
Columns are milliseconds per step (median of repeats, after warm-up) and the
ratio to the compiled step. The GEMM floor is the step's GEMMs alone through
the same BLAS the compiled code calls (scipy-openblas32), each timed alone.
Two more rows train a small CNN (two 3x3 convolutions with max pooling, MomentumSGD,
batch 64 of 28x28 images; ``--no-cnn`` leaves it out) and Chainer's PTB LSTM language
model at a small vocabulary (35 steps of BPTT; ``--no-rnn``) eagerly, compiled and in
PyTorch.
Cold compile: a fresh process with an empty kernel cache; warm start: a fresh
process with the cache filled (both include tracing).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from benchmarks.eager import make_data, numpy_step

CONFIGS = {
    'B32 784-100-100-10': (32, (784, 100, 100, 10), 200),
    'B100 784-1000-1000-10': (100, (784, 1000, 1000, 10), 20),
    'B1024 1024-2048-2048-10': (1024, (1024, 2048, 2048, 10), 3),
}


def median_ms(fn, number: int, repeat: int) -> float:
    fn()
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3


def make_model(sizes: tuple):
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L

    class MLP(tracegrad.ChainList):
        def __init__(self):
            super().__init__(*[L.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])

        def forward(self, x):
            for i, layer in enumerate(self):
                x = layer(x)
                if i < len(self) - 1:
                    x = F.relu(x)
            return x

    np.random.seed(0)
    return L.Classifier(MLP())


def make_training_step(sizes: tuple):
    """The step as a user writes it, on a fresh model with SGD(0.01): ``step(x, t) -> loss``."""
    from tracegrad import optimizers
    from tracegrad.testing import training_step

    model = make_model(sizes)
    return training_step(model, optimizers.SGD(0.01).setup(model))


def make_cnn():
    """The CNN of the CNN rows (here and in gpu_check.sh): conv 3x3 (16) + relu + max pool
    2, conv 3x3 (32) + relu + max pool 2, linear to 10, for 1x28x28 images."""
    import tracegrad
    import tracegrad.functions as F
    import tracegrad.links as L

    class CNN(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.c1 = L.Convolution2D(1, 16, ksize=3, pad=1)
                self.c2 = L.Convolution2D(16, 32, ksize=3, pad=1)
                self.fc = L.Linear(32 * 7 * 7, 10)

        def forward(self, x):
            h = F.max_pooling_2d(F.relu(self.c1(x)), 2)
            return self.fc(F.max_pooling_2d(F.relu(self.c2(h)), 2))

    return CNN()


class _CNN:
    """The CNN row: ``make_cnn()`` on MNIST-size input, MomentumSGD(0.01)."""

    batch = 64
    label = 'B64 CNN 1x28x28 conv16-conv32-fc'

    @staticmethod
    def tracegrad_step(compiled: bool):
        import tracegrad
        import tracegrad.links as L
        from tracegrad import optimizers
        from tracegrad.testing import training_step

        np.random.seed(0)
        model = L.Classifier(make_cnn())
        step = training_step(model, optimizers.MomentumSGD(0.01).setup(model))
        return tracegrad.compile(step) if compiled else step

    @staticmethod
    def torch_steps(x, t):
        import torch
        from torch import nn

        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        step, compiled, _ = torch_user_step(net, opt, x, t)
        return step, compiled

    @classmethod
    def row(cls, repeat: int, have_torch: bool, number: int = 5) -> str:
        rng = np.random.RandomState(0)
        x = rng.rand(cls.batch, 1, 28, 28).astype(np.float32)
        t = rng.randint(0, 10, cls.batch).astype(np.int32)
        compiled, eager = cls.tracegrad_step(True), cls.tracegrad_step(False)
        compiled(x, t)
        cols = {'compiled': median_ms(lambda: compiled(x, t), number, repeat),
                'eager': median_ms(lambda: eager(x, t), number, repeat)}
        if have_torch:
            step, tcompiled = cls.torch_steps(x, t)
            cols['torch'] = median_ms(step, number, repeat)
            cols['torch.compile'] = median_ms(tcompiled, number, repeat)
        base = cols['compiled']
        cells = [f'{cols[k]:.3f} ({cols[k] / base:.2f}x)' if k in cols else
                 'n/a (not installed)' if k.startswith('torch') else 'n/a'
                 for k in ('compiled', 'eager', 'numpy', 'torch', 'torch.compile', 'floor')]
        return f'| {cls.label} | ' + ' | '.join(cells) + ' |'


class _RNN:
    """The RNN row: Chainer's PTB language model at a small vocabulary (EmbedID 1000x200,
    two LSTMs of 200 units, dropout, Linear to 1000), 35 steps of truncated BPTT over a
    batch of 20, SGD(1.0) with GradientClipping(5), as examples/train_ptb.py trains it."""

    label = 'B20x35 LSTM LM 1000-200-200'
    vocab, units, steps, batch = 1000, 200, 35, 20

    @classmethod
    def tracegrad_step(cls, compiled: bool):
        import tracegrad
        import tracegrad.functions as F
        import tracegrad.links as L
        from tracegrad import optimizer_hooks, optimizers

        class RNNLM(tracegrad.Chain):
            def __init__(self):
                super().__init__()
                with self.init_scope():
                    self.embed = L.EmbedID(cls.vocab, cls.units)
                    self.l1 = L.LSTM(cls.units, cls.units)
                    self.l2 = L.LSTM(cls.units, cls.units)
                    self.l3 = L.Linear(cls.units, cls.vocab)

            def forward(self, x):
                h = self.l1(F.dropout(self.embed(x)))
                return self.l3(F.dropout(self.l2(F.dropout(h))))

        np.random.seed(0)
        model = L.Classifier(RNNLM())
        opt = optimizers.SGD(1.0).setup(model)
        opt.add_hook(optimizer_hooks.GradientClipping(5))

        def step(xs, ts):
            model.predictor.l1.reset_state()
            model.predictor.l2.reset_state()
            loss = 0
            for k in range(xs.shape[0]):
                loss += model(xs[k], ts[k])
            model.cleargrads()
            loss.backward()
            opt.update()
            return loss

        return tracegrad.compile(step) if compiled else step

    @classmethod
    def torch_step(cls, xs, ts):
        import torch
        from torch import nn

        torch.manual_seed(0)
        embed, l3 = nn.Embedding(cls.vocab, cls.units), nn.Linear(cls.units, cls.vocab)
        l1, l2 = nn.LSTMCell(cls.units, cls.units), nn.LSTMCell(cls.units, cls.units)
        params = [*embed.parameters(), *l1.parameters(), *l2.parameters(), *l3.parameters()]
        opt = torch.optim.SGD(params, lr=1.0)
        drop = nn.functional.dropout
        xt, tt = torch.from_numpy(xs.astype(np.int64)), torch.from_numpy(ts.astype(np.int64))

        def step():
            s1 = s2 = None
            loss = 0
            for k in range(cls.steps):
                s1 = l1(drop(embed(xt[k])), s1)
                s2 = l2(drop(s1[0]), s2)
                loss = loss + nn.functional.cross_entropy(l3(drop(s2[0])), tt[k])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 5)
            opt.step()
            return loss

        return step

    @classmethod
    def row(cls, repeat: int, have_torch: bool, number: int = 2) -> str:
        rng = np.random.RandomState(0)
        xs = rng.randint(0, cls.vocab, (cls.steps, cls.batch)).astype(np.int32)
        ts = rng.randint(0, cls.vocab, (cls.steps, cls.batch)).astype(np.int32)
        compiled, eager = cls.tracegrad_step(True), cls.tracegrad_step(False)
        compiled(xs, ts)
        cols = {'compiled': median_ms(lambda: compiled(xs, ts), number, repeat),
                'eager': median_ms(lambda: eager(xs, ts), number, repeat)}
        if have_torch:
            cols['torch'] = median_ms(cls.torch_step(xs, ts), number, repeat)
        base = cols['compiled']
        cells = [f'{cols[k]:.3f} ({cols[k] / base:.2f}x)' if k in cols else
                 'n/a (not installed)' if k == 'torch' else 'n/a'
                 for k in ('compiled', 'eager', 'numpy', 'torch', 'torch.compile', 'floor')]
        return f'| {cls.label} | ' + ' | '.join(cells) + ' |'


def tracegrad_step(x, t, sizes, compiled: bool):
    import tracegrad

    step = make_training_step(sizes)
    fn = tracegrad.compile(step) if compiled else step
    fn(x, t)
    return lambda: fn(x, t), fn


def torch_steps(x, t, sizes, lr=0.01):
    import torch

    torch.manual_seed(0)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    return torch_user_step(model, torch.optim.SGD(model.parameters(), lr=lr), x, t)


def torch_user_step(model, opt, x, t):
    """(eager step, torch.compile'd step, seconds the first compiled call took) of a PyTorch
    training step on ``x``, ``t``, as its users write it."""
    import torch

    xt, tt = torch.from_numpy(x), torch.from_numpy(t.astype(np.int64))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(xt), tt)
        loss.backward()
        opt.step()
        return loss

    t0 = time.perf_counter()
    compiled = torch.compile(step)
    compiled()
    return step, compiled, time.perf_counter() - t0


def gemm_floor(x, sizes, repeat: int) -> float:
    """The step's GEMMs alone, through the compiled code's BLAS, each timed alone."""
    from codegen import Graph
    from codegen.backends import c

    batch = x.shape[0]
    total = 0.0
    shapes = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes.append(((batch, a), (b, a), False, True))        # y = x @ W.T
        shapes.append(((batch, b), (batch, a), True, False))    # gW = gy.T @ x
        if i > 0:
            shapes.append(((batch, b), (b, a), False, False))   # gx = gy @ W
    for sa, sb, ta, tb in shapes:
        g = Graph()
        va, vb = g.input(sa, 'float32'), g.input(sb, 'float32')
        g.set_outputs([g.add('matmul', [va, vb], transa=ta, transb=tb)])
        prog = c.build(g)
        feeds = [np.random.rand(*sa).astype(np.float32), np.random.rand(*sb).astype(np.float32)]
        n = max(1, int(0.2 / max(1e-6, _once(prog, feeds))))
        total += median_ms(lambda: prog(feeds), n, repeat)
    return total


def _once(prog, feeds) -> float:
    t0 = time.perf_counter()
    prog(feeds)
    return time.perf_counter() - t0


_FRESH_PROCESS = """
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import benchmarks.compile as b
import tracegrad
from tracegrad import optimizers
t1 = time.perf_counter()
batch, sizes, _ = b.CONFIGS[{label!r}]
x, t, _ = b.make_data(batch, sizes)
compiled = tracegrad.compile(b.make_training_step(sizes))
t2 = time.perf_counter()
compiled(x, t)       # trace, passes, C build (or cache load), run
t3 = time.perf_counter()
compiled(x, t)       # grads exist now: traced again, same program
t4 = time.perf_counter()
print(t1 - t0, t3 - t2, t4 - t3)
"""


def fresh_process_seconds(label: str, cache: str) -> tuple[float, float, float]:
    """(imports, first compiled call, second compiled call) in a new process."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TRACEGRAD_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, '-c', _FRESH_PROCESS.format(root=root, label=label)],
                         env=env, capture_output=True, text=True, check=True)
    imports, first, second = map(float, out.stdout.split())
    return imports, first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--configs', nargs='*', default=list(CONFIGS))
    parser.add_argument('--no-cnn', dest='cnn', action='store_false',
                        help='leave out the CNN row (MomentumSGD; no NumPy or floor column)')
    parser.add_argument('--no-rnn', dest='rnn', action='store_false',
                        help='leave out the LSTM language model row (no torch.compile column: '
                             'it takes minutes to compile 35 unrolled steps)')
    args = parser.parse_args()

    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False

    print('| step | compiled | eager | NumPy by hand | PyTorch eager | torch.compile | GEMM floor |')
    print('|---|---|---|---|---|---|---|')
    for label in args.configs:
        batch, sizes, number = CONFIGS[label]
        x, t, params = make_data(batch, sizes)
        run_c, _ = tracegrad_step(x, t, sizes, compiled=True)
        run_e, _ = tracegrad_step(x, t, sizes, compiled=False)
        cols = {'compiled': median_ms(run_c, number, args.repeat),
                'eager': median_ms(run_e, number, args.repeat),
                'numpy': median_ms(numpy_step(x, t, params), number, args.repeat)}
        if have_torch:
            step, compiled, _ = torch_steps(x, t, sizes)
            cols['torch'] = median_ms(step, number, args.repeat)
            cols['torch.compile'] = median_ms(compiled, number, args.repeat)
        cols['floor'] = gemm_floor(x, sizes, args.repeat)
        base = cols['compiled']
        cells = []
        for key in ('compiled', 'eager', 'numpy', 'torch', 'torch.compile', 'floor'):
            if key in cols:
                cells.append(f'{cols[key]:.3f} ({cols[key] / base:.2f}x)')
            else:
                cells.append('n/a (not installed)')
        print(f'| {label} | ' + ' | '.join(cells) + ' |', flush=True)
    if args.cnn:
        print(_CNN.row(args.repeat, have_torch), flush=True)
    if args.rnn:
        print(_RNN.row(args.repeat, have_torch), flush=True)

    label = 'B100 784-1000-1000-10'
    with tempfile.TemporaryDirectory() as cache:
        imports, cold, cold2 = fresh_process_seconds(label, cache)
        _, warm, warm2 = fresh_process_seconds(label, cache)
    print(f'\n{label} step in a fresh process (imports {imports:.2f} s not included):')
    print(f'- cold cache: first compiled call {cold:.2f} s (trace, passes, C build, one step), '
          f'second call {cold2:.2f} s (traced again now that grads exist)')
    print(f'- warm cache: first compiled call {warm:.2f} s, second call {warm2:.2f} s')


if __name__ == '__main__':
    main()
