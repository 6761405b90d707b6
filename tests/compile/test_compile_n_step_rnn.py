"""A sequence classifier built on the stacked RNN links trains the same compiled as eager.

EmbedID -> NStepLSTM (or NStepBiGRU) -> Linear on the last layer's final hidden state,
over sequences of different lengths in no particular order, with dropout between
layers (seeded per step, so both runs draw the same masks).
"""
import numpy as np
import pytest
from test_compile_training import run_training

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers

LENGTHS = (3, 5, 1, 4)  # unsorted, with a length-1 sequence
VOCAB, EMBED, UNITS, CLASSES = 7, 3, 4, 3


class SequenceClassifier(tracegrad.Chain):
    def __init__(self, rnn_cls):
        super().__init__()
        with self.init_scope():
            self.embed = L.EmbedID(VOCAB, EMBED)
            self.rnn = rnn_cls(2, EMBED, UNITS, 0.3)
            self.fc = L.Linear(UNITS * self.rnn.direction, CLASSES)

    def forward(self, tokens):
        # tokens: (batch, max length), padded; the real lengths are fixed here.
        e = self.embed(tokens)
        xs = [e[i, :n] for i, n in enumerate(LENGTHS)]
        if self.rnn.n_cells == 2:
            hy, _, _ = self.rnn(None, None, xs)
        else:
            hy, _ = self.rnn(None, xs)
        last = hy[-self.rnn.direction:]  # the last layer, both directions
        return self.fc(F.concat(F.separate(last, axis=0), axis=1))


def batches(n=4):
    rng = np.random.RandomState(3)
    return [(rng.randint(0, VOCAB, (len(LENGTHS), max(LENGTHS))).astype(np.int32),
             rng.randint(0, CLASSES, len(LENGTHS)).astype(np.int32)) for _ in range(n)]


# (id, link, optimizer, dtype): each link, optimizer and dtype once, kept few because
# every case traces and builds its own kernels.
CASES = [
    ('NStepLSTM-MomentumSGD-float64', L.NStepLSTM, lambda: optimizers.MomentumSGD(lr=0.1),
     np.float64),
    ('NStepBiGRU-Adam-float32', L.NStepBiGRU, lambda: optimizers.Adam(alpha=0.01), np.float32),
]


@pytest.mark.parametrize('name,rnn_cls,make_opt,dtype', CASES, ids=[c[0] for c in CASES])
def test_sequence_classifier_training_matches_eager(name, rnn_cls, make_opt, dtype,
                                                    backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(SequenceClassifier(rnn_cls))
    opt = make_opt().setup(model)
    step = run_training(model, opt, batches(), backend_name, seed_each_step=True)
    stats = step.statistics()
    assert stats['eager_calls'] == 0
    assert stats['traces'] <= 2
