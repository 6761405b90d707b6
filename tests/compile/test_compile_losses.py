"""Compiled training steps with the sampled, metric-learning and sequence losses equal
eager ones: a model and its optimizer are deep-copied, one copy is trained with a
``tracegrad.compile``-d step and the other eagerly on the same data (and, where the loss
draws samples, the same random state), and the losses, parameters and grads are compared
after every step."""
import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers

STEPS = 6


def _step(model, opt):
    def step(*args):
        loss = model(*args)
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss
    return step


def _train_both_ways(make_model, make_opt, batches, dtype, backend_name, seed_each_step=False):
    """Train a compiled and an eager copy side by side; returns the compiled step."""
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = make_model()
    opt = make_opt().setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(_step(model, opt), backend=backend_name)
    step_e = _step(model_e, opt_e)
    tol = tolerances(dtype)
    for i, batch in enumerate(batches):
        if seed_each_step:
            np.random.seed(100 + i)
        loss_c = step_c(*batch)
        if seed_each_step:
            np.random.seed(100 + i)
        loss_e = step_e(*batch)
        assert loss_c.dtype == dtype and loss_c.shape == ()
        np.testing.assert_allclose(loss_c.array, loss_e.array, err_msg=f'loss at step {i}',
                                   **tol)
        params_e = dict(model_e.namedparams())
        for name, pc in model.namedparams():
            np.testing.assert_allclose(pc.array, params_e[name].array, err_msg=name, **tol)
            np.testing.assert_allclose(pc.grad, params_e[name].grad, err_msg=f'{name}.grad',
                                       **tol)
    stats = step_c.statistics()
    assert stats['eager_calls'] == 0 and stats['traces'] <= 2
    return step_c


class SkipGram(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.embed = L.EmbedID(7, 5)
            self.loss = L.NegativeSampling(5, [5, 1, 3, 2, 4, 1, 1], sample_size=3)
        self.loss.W.array[...] = np.random.uniform(-1, 1, self.loss.W.shape)

    def forward(self, x, t):
        return self.loss(self.embed(x), t)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_negative_sampling_training_matches_eager(dtype, backend_name):
    rng = np.random.RandomState(3)
    batches = []
    for i in range(STEPS):
        x, t = (rng.randint(0, 7, 4).astype(np.int32) for _ in range(2))
        t[i % 4] = -1  # an ignored word
        batches.append((x, t))
    step_c = _train_both_ways(SkipGram, lambda: optimizers.SGD(lr=0.1), batches, dtype,
                              backend_name, seed_each_step=True)
    # the samples are drawn afresh on each compiled call, not frozen at trace time
    x = t = np.zeros(4, np.int32)
    assert len({float(step_c(x, t).array) for _ in range(3)}) > 1


class Siamese(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l = L.Linear(4, 3)

    def forward(self, x0, x1, y):
        h0, h1 = self.l(x0), self.l(x1)
        return (F.contrastive(h0, h1, y, margin=1.5) + F.triplet(h0, h1, -h0)
                + 0.1 * F.decov(h0) + 0.1 * F.cross_covariance(h0, h1))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_metric_losses_training_matches_eager(dtype, backend_name):
    rng = np.random.RandomState(5)
    batches = [(rng.randn(5, 4).astype(dtype), rng.randn(5, 4).astype(dtype),
                rng.randint(0, 2, 5).astype(np.int32)) for _ in range(STEPS)]
    _train_both_ways(Siamese, lambda: optimizers.MomentumSGD(lr=0.05), batches, dtype,
                     backend_name)


class Tagger(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l = L.Linear(4, 3)
            self.crf = L.CRF1d(3)

    def forward(self, x0, x1, x2, y0, y1, y2):  # time steps of batches 3, 2, 2
        return self.crf([self.l(x) for x in (x0, x1, x2)], [y0, y1, y2])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_crf1d_training_matches_eager(dtype, backend_name):
    rng = np.random.RandomState(6)
    batches = [(*(rng.randn(n, 4).astype(dtype) for n in (3, 2, 2)),
                *(rng.randint(0, 3, n).astype(np.int32) for n in (3, 2, 2)))
               for _ in range(STEPS)]
    _train_both_ways(Tagger, lambda: optimizers.SGD(lr=0.1), batches, dtype, backend_name)


class Recognizer(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l = L.Linear(4, 3)

    def forward(self, x0, x1, x2, x3, t, input_length):
        return F.connectionist_temporal_classification(
            [self.l(x) for x in (x0, x1, x2, x3)], t, 0, input_length=input_length)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_ctc_training_matches_eager(dtype, backend_name):
    rng = np.random.RandomState(7)
    batches = [(*(rng.randn(2, 4).astype(dtype) for _ in range(4)),
                rng.randint(1, 3, (2, 2)).astype(np.int32),
                np.array([4, rng.randint(3, 5)], np.int32)) for _ in range(STEPS)]
    _train_both_ways(Recognizer, lambda: optimizers.SGD(lr=0.1), batches, dtype, backend_name)


class HierarchicalLM(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        tree = L.BinaryHierarchicalSoftmax.create_huffman_tree({0: 5, 1: 1, 2: 3, 3: 2, 4: 4})
        with self.init_scope():
            self.embed = L.EmbedID(5, 4)
            self.out = L.BinaryHierarchicalSoftmax(4, tree)

    def forward(self, x, t):
        return self.out(self.embed(x), t)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_hierarchical_softmax_training_matches_eager(dtype, backend_name):
    rng = np.random.RandomState(8)
    batches = [tuple(rng.randint(0, 5, 6).astype(np.int32) for _ in range(2))
               for _ in range(STEPS)]
    _train_both_ways(HierarchicalLM, lambda: optimizers.SGD(lr=0.1), batches, dtype,
                     backend_name)


class Segmenter(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(1, 3, ksize=3, pad=1)

    def forward(self, x, labels):
        l_var, l_dist, l_reg = F.discriminative_margin_based_clustering_loss(
            self.conv(x), labels, 0.2, 0.6, 3, norm=2)
        return l_var + l_dist + l_reg


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_discriminative_loss_training_matches_eager(dtype, backend_name):
    rng = np.random.RandomState(9)
    batches = [(rng.randn(2, 1, 4, 4).astype(dtype), rng.randint(0, 4, (2, 4, 4)).astype(np.int32))
               for _ in range(STEPS)]
    _train_both_ways(Segmenter, lambda: optimizers.SGD(lr=0.05), batches, dtype, backend_name)
