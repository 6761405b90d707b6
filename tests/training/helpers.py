"""Small models, data and fake trainers shared by the training tests."""
import numpy as np

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import datasets, iterators, optimizers, training


class FakeUpdater:
    """An updater whose progress the test sets by hand (iteration and epoch_detail)."""

    def __init__(self, iters_per_epoch=10):
        self.iteration = 0
        self.iters_per_epoch = iters_per_epoch
        self.previous_epoch_detail = None

    @property
    def epoch_detail(self):
        return self.iteration / self.iters_per_epoch

    @property
    def epoch(self):
        return self.iteration // self.iters_per_epoch


class FakeTrainer:
    def __init__(self, iters_per_epoch=10):
        self.updater = FakeUpdater(iters_per_epoch)
        self.observation = {}
        self.elapsed_time = 0.0


def fire_pattern(trigger, n, iters_per_epoch=10, observations=None):
    """Advance a fake trainer n iterations; return the iterations at which it fired."""
    trainer = FakeTrainer(iters_per_epoch)
    fired = []
    for i in range(1, n + 1):
        trainer.updater.iteration = i
        trainer.observation = observations(i) if observations else {}
        if trigger(trainer):
            fired.append(i)
    return fired


class MLP(tracegrad.Chain):
    def __init__(self, n_units=8, n_out=3):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_units)
            self.l2 = L.Linear(None, n_out)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


def toy_dataset(n=24, n_in=4, n_out=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, n_in).astype(np.float32)
    t = (np.abs(x[:, 0]) * n_out / 3).astype(np.int32) % n_out
    return datasets.TupleDataset(x, t)


def make_trainer(out, stop=(3, 'epoch'), batch_size=5, shuffle=True, compile=False, seed=0,
                 n=24):
    """A classifier on a toy data set with an Adam optimizer; returns (trainer, model)."""
    np.random.seed(seed)
    model = L.Classifier(MLP())
    model(np.zeros((1, 4), np.float32), np.zeros(1, np.int32))  # initialize lazy params
    optimizer = optimizers.Adam(alpha=0.01).setup(model)
    it = iterators.SerialIterator(toy_dataset(n), batch_size, shuffle=shuffle)
    updater = training.updaters.StandardUpdater(it, optimizer, compile=compile)
    return training.Trainer(updater, stop, out=str(out)), model


def params_of(link):
    return {name: p.array.copy() for name, p in link.namedparams()}
