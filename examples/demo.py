"""tracegrad's main demo: train one model eagerly and compiled, and compare.

An MLP classifies scikit-learn's 8x8 handwritten digits. The same Chainer-style
training step runs eagerly (define-by-run, on NumPy) and through
``@tracegrad.compile`` (forward, backward and the Adam update traced once into
one generated C program). Both runs start from the same weights and see the
same batches; the script prints accuracy and milliseconds per step for each,
and how far apart the two final models are.

    python3 examples/demo.py [--epochs 10] [--batchsize 32] [--unit 256]
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers


class MLP(tracegrad.Chain):
    def __init__(self, n_units: int, n_out: int):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_units)
            self.l2 = L.Linear(None, n_units)
            self.l3 = L.Linear(None, n_out)

    def forward(self, x):
        h = F.relu(self.l1(x))
        h = F.relu(self.l2(h))
        return self.l3(h)


def batches(n: int, batchsize: int, rng: np.random.RandomState):
    order = rng.permutation(n)
    for i in range(0, n - batchsize + 1, batchsize):
        yield order[i:i + batchsize]


def train(model, x, t, epochs: int, batchsize: int, compiled: bool) -> tuple[float, float]:
    """Train; returns (ms per step after the first epoch, seconds of the first step)."""
    opt = optimizers.Adam().setup(model)

    def step(xb, tb):
        loss = model(xb, tb)
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss

    if compiled:
        step = tracegrad.compile(step)
    rng = np.random.RandomState(1)
    first = None
    times = []
    for epoch in range(epochs):
        for idx in batches(len(x), batchsize, rng):
            t0 = time.perf_counter()
            step(x[idx], t[idx])
            elapsed = time.perf_counter() - t0
            if first is None:
                first = elapsed
            elif epoch > 0:
                times.append(elapsed)
    return float(np.median(times)) * 1e3, first


def accuracy(model, x, t) -> float:
    with tracegrad.using_config('train', False), tracegrad.no_backprop_mode():
        return float(F.accuracy(model.predictor(x), t).array)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--batchsize', type=int, default=32)
    parser.add_argument('--unit', type=int, default=256)
    args = parser.parse_args()

    train_set, test_set = tracegrad.datasets.get_digits()
    x, t = (np.stack(a) for a in zip(*train_set))
    xt, tt = (np.stack(a) for a in zip(*test_set))

    np.random.seed(0)
    eager_model = L.Classifier(MLP(args.unit, 10))
    eager_model(x[:1], t[:1])            # create the lazily shaped weights
    compiled_model = copy.deepcopy(eager_model)

    print(f'digits: {len(x)} training and {len(xt)} test images; MLP 64-{args.unit}-'
          f'{args.unit}-10, Adam, batch {args.batchsize}, {args.epochs} epochs')
    ms_eager, first_eager = train(eager_model, x, t, args.epochs, args.batchsize, False)
    ms_comp, first_comp = train(compiled_model, x, t, args.epochs, args.batchsize, True)
    print(f'eager:    {ms_eager:7.3f} ms/step  test accuracy {accuracy(eager_model, xt, tt):.4f}')
    print(f'compiled: {ms_comp:7.3f} ms/step  test accuracy {accuracy(compiled_model, xt, tt):.4f}'
          f'  (first step, tracing and C build included: {first_comp:.2f} s)')
    print(f'speed-up: {ms_eager / ms_comp:.1f}x')
    diff = max(float(np.abs(p.array - q.array).max()) for p, q in
               zip(eager_model.params(), compiled_model.params()))
    print(f'largest difference between the eager and compiled weights: {diff:.2e}')


if __name__ == '__main__':
    main()
