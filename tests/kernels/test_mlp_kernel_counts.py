"""Kernel counts of a compiled MLP training step: a lost fusion fails this test.

The step is Classifier(MLP 784-100-10) with SGD, traced with
``tracegrad.compile(backend='c')``. The numbers below are exact; when a pass gets
better (fewer groups), update them together with the explanation next to each.
"""
import numpy as np

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.testing import training_step


class MLP(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(784, 100)
            self.l2 = L.Linear(100, 10)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


def test_mlp_sgd_step_kernel_counts():
    np.random.seed(0)
    model = L.Classifier(MLP())
    opt = optimizers.SGD(lr=0.1).setup(model)
    step = tracegrad.compile(training_step(model, opt), backend='c')

    x = np.random.uniform(-1, 1, (32, 784)).astype(np.float32)
    t = np.random.randint(0, 10, 32).astype(np.int32)
    W1 = model.predictor.l1.W.array.copy()
    loss = step(x, t)
    assert np.isfinite(loss.array) and not np.array_equal(W1, model.predictor.l1.W.array)
    stats = step.statistics()
    assert stats['eager_calls'] == 0

    # GEMMs: forward x W1^T and h W2^T; backward gy W2 (the grad of h), gy^T h (gW2) and
    # g1^T x (gW1). No GEMM for the grad of x: the input needs none. Bias adds, the relu
    # and the SGD updates ride in fused loops, never in extra BLAS calls.
    assert stats['blas_calls'] == 5

    # Fused groups (one loop nest each):
    #  forward, 3: [bias1 + relu + relu mask], [bias2 + row max], [x - max, exp, row sum]
    #  softmax_cross_entropy, 5: [labels != ignore_label, where, count of valid labels],
    #      [log(sum)], [log-probability at the label * valid, sum], [1 / max(count, 1),
    #      loss], [grad coefficient * valid]
    #  accuracy, 2: [argmax == t, sum], [/ batch size]
    #  backward, 2: [softmax grad: exp / sum - one-hot of the labels (a group of its own
    #      until the subtraction merged it in), * coefficient, bias2 grad (sum over the
    #      batch)], [relu mask * grad of h, bias1 grad (sum over the batch)]
    #  optimizer, 10: the learning rate cast to float32, the optimizer's t and the four
    #      per-parameter update-rule counters (+1 each), four SGD updates p - lr * g
    assert stats['fused_groups'] == 22

    # kernels: 22 fused loops + 5 GEMMs + take_along_axis (log-probability of the label)
    # + argmax (accuracy); reshapes are aliases and cost no kernel
    assert stats['kernels'] == 29

    # one compiled entry point, one arena
    assert stats['backend'] == 'c'
    assert step.source.count('int tg_run(') == 1
